package dev.kensa.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a {@code kensa-bundle/1} (../shared/DESIGN.md §5, models/FORMAT.md). Field names are the
 * contract. The method's sections ({@code embedding}, {@code stats}, {@code model}) are the method's to write and read
 * ({@link dev.kensa.method.MethodManifest}, {@link dev.kensa.method.BundleFiles}); the bundle keeps them as JSON.
 *
 * @param method    the detection method ("padim", "patchcore", "mahalanobis"); absent in bundles made before methods
 *                  were a choice, which are PaDiM
 * @param sha256    lower-case hex sha256 of every other file of the bundle, keyed by its bundle-relative path
 *                  ('/' separated), e.g. {@code backbone.onnx}, {@code stats.bin}, {@code selftest/0.png}
 * @param embedding PaDiM's embedding (grid, kept channels, their seed); null for other methods
 * @param stats     PaDiM's statistics file (file, dtype, d, positions); null for other methods
 * @param model     the method's own section for methods other than PaDiM (its files and parameters); null for PaDiM
 * @param imported  where {@code kensa bundle import} took the model from; null for a bundle Kensa fitted
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"format", "id", "name", "created", "producerVersion", "method", "sha256", "backbone", "embedding",
        "stats", "model", "training", "imported", "selfTest"})
public record Manifest(
        String format,
        String id,
        String name,
        String created,
        String producerVersion,
        String method,
        Map<String, String> sha256,
        Backbone backbone,
        ObjectNode embedding,
        ObjectNode stats,
        ObjectNode model,
        Training training,
        Imported imported,
        List<SelfTest> selfTest) {

    public static final String FORMAT = "kensa-bundle/1";

    /** @param channelOrder "RGB" or "BGR": the order the backbone expects its input planes in */
    public record Input(String name, int width, int height, float[] mean, float[] std, String channelOrder) {
        /** ImageNet's normalisation (torchvision's), RGB: what the shipped backbones were trained with. */
        public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
        public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

        /** A square RGB input named "image" with ImageNet's normalisation, as fit and import make bundles. */
        public static Input imagenet(int side) {
            return new Input("image", side, side, IMAGENET_MEAN, IMAGENET_STD, "RGB");
        }
    }

    /** @param outputs the backbone outputs the method uses, in embedding order (the first one's grid is the map's) */
    public record Backbone(String file, Input input, List<String> outputs) {
    }

    /** @param eps PaDiM's covariance regularisation; absent for other methods */
    public record Training(int images, String source, Double eps) {
    }

    /**
     * @param notebook the notebook folder imported, as an absolute path on the machine that imported it
     * @param sha256   lower-case hex sha256 of the notebook's files that were read (fixed_pipeline.json and the
     *                 arrays), keyed by their path in that folder ('/' separated), e.g. {@code padim/mean.npy}
     */
    public record Imported(String notebook, Map<String, String> sha256) {
    }

    public record SelfTest(String file, double expectedScore, double tolerance) {
    }
}
