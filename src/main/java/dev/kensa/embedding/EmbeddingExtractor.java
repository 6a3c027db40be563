package dev.kensa.embedding;

import dev.kensa.KensaException;
import dev.kensa.backbone.FeatureMaps;

/**
 * PaDiM embedding: the layers' feature maps are nearest-upsampled to the grid of the first (largest) layer and
 * concatenated channel-wise (64 + 128 + 256 = 448 for ResNet-18 layer1-3); only the bundle's d channels are
 * kept. Upsampling is folded into the indexing, so nothing of size 448 x grid is ever built.
 *
 * <p>Output layout is position-major, [batch][P][d], because scoring walks one patch position at a time.
 */
public final class EmbeddingExtractor {
    private final int[] channels;

    /** @param channels kept channel indices into the concatenated embedding, each in [0, total channels) */
    public EmbeddingExtractor(int[] channels) {
        if (channels.length == 0) {
            throw new IllegalArgumentException("no channels to keep");
        }
        this.channels = channels.clone();
    }

    public int dims() {
        return channels.length;
    }

    /** Total channels of the concatenation of these layers. */
    public static int totalChannels(FeatureMaps maps) {
        int total = 0;
        for (FeatureMaps.Layer layer : maps.layers()) {
            total += layer.channels();
        }
        return total;
    }

    /** Allocates and fills the [batch][P][d] embedding. */
    public float[] extract(FeatureMaps maps) {
        FeatureMaps.Layer first = maps.layers().get(0);
        float[] out = new float[maps.batch() * first.height() * first.width() * channels.length];
        extract(maps, out);
        return out;
    }

    /** Fills {@code out} ([batch][P][d]) from the feature maps. */
    public void extract(FeatureMaps maps, float[] out) {
        FeatureMaps.Layer first = maps.layers().get(0);
        int gh = first.height();
        int gw = first.width();
        int positions = gh * gw;
        int d = channels.length;
        int total = totalChannels(maps);
        if (out.length < maps.batch() * positions * d) {
            throw new IllegalArgumentException("embedding buffer too small");
        }
        for (int j = 0; j < d; j++) {
            int global = channels[j];
            if (global < 0 || global >= total) {
                throw new KensaException("embedding channel " + global + " out of range: the backbone gives " + total + " channels");
            }
            // find the layer holding this channel
            int base = 0;
            FeatureMaps.Layer layer = null;
            for (FeatureMaps.Layer l : maps.layers()) {
                if (global < base + l.channels()) {
                    layer = l;
                    break;
                }
                base += l.channels();
            }
            int c = global - base;
            if (gh % layer.height() != 0 || gw % layer.width() != 0) {
                throw new KensaException("layer " + layer.name() + " (" + layer.height() + "x" + layer.width()
                        + ") does not divide the embedding grid " + gh + "x" + gw);
            }
            int fy = gh / layer.height();
            int fx = gw / layer.width();
            int lw = layer.width();
            java.nio.FloatBuffer src = layer.data();
            int planeSize = layer.height() * lw;
            for (int n = 0; n < maps.batch(); n++) {
                int srcPlane = n * layer.imageStride() + c * planeSize;
                int dst = n * positions * d + j;
                for (int y = 0; y < gh; y++) {
                    int row = srcPlane + (y / fy) * lw;
                    for (int x = 0; x < gw; x++) {
                        out[dst] = src.get(row + x / fx);
                        dst += d;
                    }
                }
            }
        }
    }
}
