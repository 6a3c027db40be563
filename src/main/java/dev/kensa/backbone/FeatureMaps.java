package dev.kensa.backbone;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * The backbone's output for a batch: one NCHW float tensor per requested layer, in the bundle's output order.
 * The buffers belong to the backbone and are reused: they are valid until its next {@code extract} call.
 */
public record FeatureMaps(int batch, List<Layer> layers) {

    /** One layer's activations, [batch][channels][height][width] row-major, read with absolute gets. */
    public record Layer(String name, int channels, int height, int width, FloatBuffer data) {
        public int imageStride() {
            return channels * height * width;
        }
    }
}
