package dev.kensa.bundle;

import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.method.MethodModel;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@link BundleWriter} needs to make a bundle: what a fit (or an import from Python) produced.
 *
 * @param id              short identifier of the model, e.g. "screw-2024-06-01"
 * @param backboneSource  the ONNX backbone, copied into the bundle as backbone.onnx
 * @param model           the method's fitted model (its layers are the backbone outputs the bundle uses)
 * @param selfTests       golden images with the score they must reproduce at every load (may be empty)
 * @param imported        where an import took the model from (manifest {@code imported}); null for a fit
 * @param calibration     calibration.json: where the threshold came from; null for an import without one
 */
public record BundleDraft(
        String id,
        String name,
        String producerVersion,
        Path backboneSource,
        Manifest.Input input,
        MethodModel model,
        Manifest.Training training,
        PipelineConfig pipeline,
        List<SelfTestDraft> selfTests,
        Manifest.Imported imported,
        CalibrationRecord calibration) {

    /** A draft neither imported nor with a calibration record (tests of older bundles). */
    public BundleDraft(String id, String name, String producerVersion, Path backboneSource, Manifest.Input input,
                       MethodModel model, Manifest.Training training, PipelineConfig pipeline, List<SelfTestDraft> selfTests) {
        this(id, name, producerVersion, backboneSource, input, model, training, pipeline, selfTests, null, null);
    }

    /**
     * @param fileName plain file name, stored as selftest/&lt;fileName&gt; (".png" appended when missing)
     * @param png      the encoded PNG image
     */
    public record SelfTestDraft(String fileName, byte[] png, double expectedScore, double tolerance) {
    }
}
