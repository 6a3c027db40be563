package dev.kensa.embedding;

import dev.kensa.backbone.FeatureMaps;

/**
 * One feature vector per image: every channel of every layer averaged over its whole map, concatenated in layer order
 * (64 + 128 + 256 = 448 dims for ResNet-18 layer1-3). Output [batch][D].
 */
public final class GlobalAveragePool {
    private GlobalAveragePool() {
    }

    public static int dims(FeatureMaps maps) {
        return EmbeddingExtractor.totalChannels(maps);
    }

    /** Fills out ([batch][D]) from the layers; sums in double. */
    public static void extract(FeatureMaps maps, float[] out) {
        int dims = dims(maps);
        for (int n = 0; n < maps.batch(); n++) {
            int channel = 0;
            for (FeatureMaps.Layer layer : maps.layers()) {
                int plane = layer.height() * layer.width();
                for (int c = 0; c < layer.channels(); c++) {
                    int start = n * layer.imageStride() + c * plane;
                    double s = 0;
                    for (int i = 0; i < plane; i++) {
                        s += layer.data().get(start + i);
                    }
                    out[n * dims + channel++] = (float) (s / plane);
                }
            }
        }
    }
}
