package dev.kensa.gpu;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.HalfFloat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Host-side sizes and packings of the GPU buffers, kept apart from the native calls so they are tested on any box.
 * Device memory is little-endian on every CUDA platform, and so are these packings.
 */
public final class DeviceBuffers {
    /** cudaMalloc alignment; sub-buffers of one allocation start on it. */
    public static final int ALIGNMENT = 256;

    private DeviceBuffers() {
    }

    /** Input tensor bytes: [batch][3][side][side] float32. */
    public static long inputBytes(int batch, int side) {
        return 4L * batch * 3 * side * side;
    }

    /** One layer output, [batch][channels][h][w] float32 (TensorRT writes FP32 outputs also for an FP16 engine). */
    public static long layerBytes(int batch, int channels, int height, int width) {
        return 4L * batch * channels * height * width;
    }

    /** Every layer output for {@code batch} images, shapes as one warm-up batch reported them. */
    public static long layerBytes(int batch, List<FeatureMaps.Layer> layers) {
        long sum = 0;
        for (FeatureMaps.Layer l : layers) {
            sum += align(layerBytes(batch, l.channels(), l.height(), l.width()));
        }
        return sum;
    }

    /** Embeddings [batch][P][d] float32 (the host-gathered path). */
    public static long embeddingBytes(int batch, int positions, int dims) {
        return 4L * batch * positions * dims;
    }

    /** Output distance map [batch][P] float32. */
    public static long distanceBytes(int batch, int positions) {
        return 4L * batch * positions;
    }

    /** Means mu [P][d], always float32. */
    public static long meanBytes(GaussianStats stats) {
        return 4L * stats.positions() * stats.dims();
    }

    /** Packed factors W [P][d(d+1)/2] at the given element size (4 for f32, 2 for f16). */
    public static long factorBytes(GaussianStats stats, int elementBytes) {
        return (long) elementBytes * stats.positions() * GaussianStats.packedSize(stats.dims());
    }

    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    public static ByteBuffer packMean(GaussianStats stats) {
        float[] mu = stats.mean();
        ByteBuffer b = ByteBuffer.allocateDirect(mu.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(mu);
        return b;
    }

    /** W as float32, widening a float16 bundle exactly. */
    public static ByteBuffer packFactor32(GaussianStats stats) {
        ByteBuffer b = ByteBuffer.allocateDirect((int) factorBytes(stats, 4)).order(ByteOrder.LITTLE_ENDIAN);
        if (stats.factor32() != null) {
            b.asFloatBuffer().put(stats.factor32());
        } else {
            java.nio.FloatBuffer f = b.asFloatBuffer();
            for (short h : stats.factor16()) {
                f.put(HalfFloat.toFloat(h));
            }
        }
        return b;
    }

    /** W as IEEE half bits, rounding a float32 bundle to nearest even (the same rounding as the CPU f16 path). */
    public static ByteBuffer packFactor16(GaussianStats stats) {
        short[] half = stats.toFloat16().factor16();
        ByteBuffer b = ByteBuffer.allocateDirect(half.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(half);
        return b;
    }

    /**
     * The kernel's {@code channels} array: the bundle's kept indices into the concatenated layers (64 + 128 + 256 =
     * 448 for ResNet-18), checked against the kernel's preconditions (in range, ascending) before they go to the
     * device, where an out-of-range index would only show up as NaN distances.
     *
     * @param layerChannels channels of each backbone output, in embedding order
     */
    public static int[] channelIndex(int[] kept, int[] layerChannels) {
        int total = 0;
        for (int c : layerChannels) {
            total += c;
        }
        for (int k = 0; k < kept.length; k++) {
            if (kept[k] < 0 || kept[k] >= total) {
                throw new IllegalArgumentException("channel " + kept[k] + " outside 0.." + (total - 1));
            }
            if (k > 0 && kept[k] <= kept[k - 1]) {
                throw new IllegalArgumentException("channels must be ascending: " + kept[k - 1] + " then " + kept[k]);
            }
        }
        return kept.clone();
    }

    public static ByteBuffer packInts(int[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b;
    }

    /** Reads a [batch][P] float32 distance map copied back from the device into the caller's array. */
    public static void unpackDistances(ByteBuffer device, float[] distances, int count) {
        device.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(distances, 0, count);
    }
}
