package dev.kensa.backbone;

import java.util.List;

/**
 * The backbone's output for a batch: one NCHW float tensor per requested layer, in the bundle's output order.
 */
public record FeatureMaps(int batch, List<Layer> layers) {

    /** One layer's activations, [batch][channels][height][width] row-major. */
    public record Layer(String name, int channels, int height, int width, float[] data) {
        public int imageStride() {
            return channels * height * width;
        }
    }
}
