package dev.kensa.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a {@code kensa-bundle/1} (DESIGN.md §5). Field names are the contract.
 *
 * @param sha256 lower-case hex sha256 of every other file of the bundle, keyed by its bundle-relative path
 *               ('/' separated), e.g. {@code backbone.onnx}, {@code stats.bin}, {@code selftest/0.png}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
        String format,
        String id,
        String name,
        String created,
        String producerVersion,
        Map<String, String> sha256,
        Backbone backbone,
        Embedding embedding,
        Stats stats,
        Training training,
        List<SelfTest> selfTest) {

    public static final String FORMAT = "kensa-bundle/1";

    /** @param channelOrder "RGB" or "BGR": the order the backbone expects its input planes in */
    public record Input(String name, int width, int height, float[] mean, float[] std, String channelOrder) {
    }

    public record Backbone(String file, Input input, List<String> outputs) {
    }

    /**
     * @param grid           [height, width] of the patch grid (56x56 for ResNet-18 at 224)
     * @param sourceChannels channels of the full concatenated embedding (448 for ResNet-18 layer1-3)
     * @param channels       the d kept channel indices into the full embedding, ascending
     * @param seed           seed the channel subset was drawn with (null when imported)
     */
    public record Embedding(int[] grid, int sourceChannels, int[] channels, Long seed) {
    }

    /** @param dtype "float32" or "float16" (applies to the factor W; means are always float32) */
    public record Stats(String file, String dtype, int d, int positions) {
    }

    public record Training(int images, String source, double eps) {
    }

    public record SelfTest(String file, double expectedScore, double tolerance) {
    }
}
