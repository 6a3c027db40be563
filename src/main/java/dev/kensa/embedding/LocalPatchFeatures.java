package dev.kensa.embedding;

import dev.kensa.KensaException;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * PatchCore's locally aware patch features (Roth et al. 2022, as anomalib builds them): every layer is averaged
 * over a k x k neighbourhood (stride 1, zero padding counted, so the border is not special-cased: PyTorch
 * {@code AvgPool2d(k, 1, k/2)}), the coarser layers are bilinearly upsampled to the first layer's grid
 * ({@code align_corners=False}), and all channels are concatenated: 128 + 256 = 384 dims for ResNet-18
 * layer2+layer3 on a 28x28 grid.
 *
 * <p>Output layout is position-major, [batch][P][D], as the nearest-neighbour search reads one patch at a time.
 */
public final class LocalPatchFeatures {
    private final int pool;
    private final int gridHeight;
    private final int gridWidth;
    private final int dims;

    /** Features of these layers: the grid is the first one's, the dims all their channels. */
    public LocalPatchFeatures(List<LayerShape> layers, int pool) {
        this(layers.get(0).height(), layers.get(0).width(), LayerShape.totalChannels(layers), pool);
    }

    /**
     * @param dims total channels of the layers it will be given (checked at every batch)
     * @param pool neighbourhood side k (odd; 1 = no pooling)
     */
    public LocalPatchFeatures(int gridHeight, int gridWidth, int dims, int pool) {
        if (pool < 1 || pool % 2 == 0) {
            throw new KensaException("patch pooling must be an odd size, got " + pool);
        }
        this.pool = pool;
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
        this.dims = dims;
    }

    public int dims() {
        return dims;
    }

    public int positions() {
        return gridHeight * gridWidth;
    }

    /** Fills out ([batch][P][D], at least batch * P * D long) from the layers. */
    public void extract(FeatureMaps maps, float[] out) {
        int positions = positions();
        if (out.length < (long) maps.batch() * positions * dims) {
            throw new IllegalArgumentException("patch feature buffer too small");
        }
        FeatureMaps.Layer firstLayer = maps.layers().get(0);
        if (firstLayer.height() != gridHeight || firstLayer.width() != gridWidth
                || EmbeddingExtractor.totalChannels(maps) != dims) {
            throw new KensaException("patch features are for " + dims + " channels on a " + gridHeight + "x" + gridWidth
                    + " grid, the backbone gave " + LayerShape.of(maps));
        }
        int maxPlane = 0;
        for (FeatureMaps.Layer l : maps.layers()) {
            maxPlane = Math.max(maxPlane, l.height() * l.width());
        }
        float[] plane = new float[maxPlane];
        float[] rowSums = new float[maxPlane];
        float[] pooled = new float[maxPlane];
        for (int n = 0; n < maps.batch(); n++) {
            int channelBase = 0;
            for (FeatureMaps.Layer layer : maps.layers()) {
                int h = layer.height();
                int w = layer.width();
                FloatBuffer src = layer.data();
                for (int c = 0; c < layer.channels(); c++) {
                    int start = n * layer.imageStride() + c * h * w;
                    for (int i = 0; i < h * w; i++) {
                        plane[i] = src.get(start + i);
                    }
                    boxAverage(plane, rowSums, pooled, h, w, pool);
                    int channel = channelBase + c;
                    int dst = n * positions * dims + channel;
                    if (h == gridHeight && w == gridWidth) {
                        for (int p = 0; p < positions; p++) {
                            out[dst + p * dims] = pooled[p];
                        }
                    } else {
                        bilinearInto(pooled, h, w, out, dst, dims);
                    }
                }
                channelBase += layer.channels();
            }
        }
    }

    /** k x k mean with zero padding (the padding counts: a border average divides by k^2 too). */
    static void boxAverage(float[] in, float[] rowSums, float[] out, int h, int w, int k) {
        int r = k / 2;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int dx = Math.max(0, x - r); dx <= Math.min(w - 1, x + r); dx++) {
                    s += in[y * w + dx];
                }
                rowSums[y * w + x] = s;
            }
        }
        float inv = 1f / (k * k);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int dy = Math.max(0, y - r); dy <= Math.min(h - 1, y + r); dy++) {
                    s += rowSums[dy * w + x];
                }
                out[y * w + x] = s * inv;
            }
        }
    }

    /** Bilinear resize (PyTorch align_corners=False) of an h x w plane to the grid, written with stride {@code stride}. */
    private void bilinearInto(float[] in, int h, int w, float[] out, int dst, int stride) {
        double sy = (double) h / gridHeight;
        double sx = (double) w / gridWidth;
        for (int y = 0; y < gridHeight; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = (int) fy;
            int y1 = Math.min(y0 + 1, h - 1);
            float ly = (float) (fy - y0);
            for (int x = 0; x < gridWidth; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, w - 1);
                float lx = (float) (fx - x0);
                float top = in[y0 * w + x0] * (1 - lx) + in[y0 * w + x1] * lx;
                float bottom = in[y1 * w + x0] * (1 - lx) + in[y1 * w + x1] * lx;
                out[dst + (y * gridWidth + x) * stride] = top * (1 - ly) + bottom * ly;
            }
        }
    }
}
