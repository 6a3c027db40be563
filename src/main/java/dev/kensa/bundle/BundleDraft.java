package dev.kensa.bundle;

import dev.kensa.score.GaussianStats;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@link BundleWriter} needs to make a bundle: what a fit (or an import from Python) produced.
 *
 * @param id              short identifier of the model, e.g. "screw-2024-06-01"
 * @param backboneSource  the ONNX backbone, copied into the bundle as backbone.onnx
 * @param outputs         names of the backbone outputs concatenated into the embedding, in order
 * @param grid            [height, width] of the patch grid
 * @param sourceChannels  channels of the full concatenated embedding the kept channels index into
 * @param channels        the d kept channel indices, ascending
 * @param seed            seed the channel subset was drawn with, or null when imported
 * @param selfTests       golden images with the score they must reproduce at every load (may be empty)
 */
public record BundleDraft(
        String id,
        String name,
        String producerVersion,
        Path backboneSource,
        Manifest.Input input,
        List<String> outputs,
        int[] grid,
        int sourceChannels,
        int[] channels,
        Long seed,
        GaussianStats stats,
        Manifest.Training training,
        PipelineConfig pipeline,
        List<SelfTestDraft> selfTests) {

    /**
     * @param fileName plain file name, stored as selftest/&lt;fileName&gt; (".png" appended when missing)
     * @param png      the encoded PNG image
     */
    public record SelfTestDraft(String fileName, byte[] png, double expectedScore, double tolerance) {
    }
}
