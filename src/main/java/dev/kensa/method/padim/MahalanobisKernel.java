package dev.kensa.method.padim;

import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.score.GaussianStats;

import java.util.List;

/**
 * The contract with the fused gather + Mahalanobis kernel in {@code native/kensa_kernels.cu}, in one place: names,
 * parameter list and launch configuration. {@link PadimCudaScorer} builds its launch from this class and from
 * nothing else. The kernel file's header (and native/README.md) is the other side of this contract.
 */
public final class MahalanobisKernel {
    private MahalanobisKernel() {
    }

    public static final String F32 = "kensa_mahalanobis_f32";
    public static final String F16 = "kensa_mahalanobis_f16";

    /** The kernel image {@code native/build.sh} makes, and the system property that may name another file. */
    public static final String IMAGE = "kensa_kernels.fatbin";
    public static final String PATH_PROPERTY = "kensa.gpu.kernel";

    /** One kernel parameter: device pointers go in as 8 bytes, ints as int32. */
    public enum Param {
        LAYER1(true), LAYER2(true), LAYER3(true),
        C1(false), C2(false), C3(false),
        H1(false), W1(false), H2(false), W2(false), H3(false), W3(false),
        CHANNELS(true), D(false),
        MEAN(true), FACTOR(true), OUT(true),
        P(false), GRID_W(false), N(false), N_TILE(false);

        public final boolean pointer;

        Param(boolean pointer) {
            this.pointer = pointer;
        }
    }

    /** The kernel's 21 parameters, in order. */
    public static final Param[] PARAMETERS = Param.values();

    /** Threads per block (KENSA_BLOCK; more is refused by the kernel's launch bounds). */
    public static final int BLOCK_THREADS = 256;
    /** Dynamic shared memory available on every architecture without an opt-in. */
    public static final int MAX_SHARED_BYTES = 48 * 1024;
    /** Most images per tile. */
    public static final int MAX_TILE = 64;

    public static String name(GaussianStats.Dtype dtype) {
        return dtype == GaussianStats.Dtype.FLOAT16 ? F16 : F32;
    }

    /** Staged image slots for a tile of t images: the next power of two up to 32, then multiples of 32. */
    static int slots(int t) {
        if (t <= 32) {
            int s = 1;
            while (s < t) {
                s <<= 1;
            }
            return s;
        }
        return 32 * ((t + 31) / 32);
    }

    /** Dynamic shared memory for one block: the staged differences and the per-warp partial sums. */
    public static int sharedBytes(int dims, int tile) {
        return 4 * (dims + BLOCK_THREADS / 32) * slots(tile);
    }

    /** Images per tile: the whole batch (up to 64) unless shared memory would exceed 48 KiB, then halved. */
    public static int tile(int batch, int dims) {
        int t = Math.min(batch, MAX_TILE);
        while (t > 1 && sharedBytes(dims, t) > MAX_SHARED_BYTES) {
            t /= 2;
        }
        return t;
    }

    /** Grid: x over positions, y over tiles of the batch. */
    public static int[] grid(int batch, int positions, int tile) {
        return new int[]{positions, (batch + tile - 1) / tile, 1};
    }

    /**
     * The kernel's layer arguments ({channels, height, width} for its three layer slots) for these device layers, or
     * why they do not fit it: one to three NCHW layers whose sides divide the patch grid (nearest upsampling by an
     * integer factor), the first one on the grid itself. Unused slots get zero channels (the kernel never reads them;
     * their pointer is null).
     */
    public static int[][] layerShapes(List<DeviceFeatureMaps.Layer> layers, int gridHeight, int gridWidth) {
        if (layers.isEmpty() || layers.size() > 3) {
            throw new IllegalArgumentException("the fused kernel takes 1 to 3 layers, the backbone gives " + layers.size());
        }
        int[][] shapes = new int[3][];
        for (int i = 0; i < 3; i++) {
            if (i >= layers.size()) {
                shapes[i] = new int[]{0, gridHeight, gridWidth};
                continue;
            }
            DeviceFeatureMaps.Layer l = layers.get(i);
            if (l.channels() < 1 || l.height() < 1 || l.width() < 1 || l.address() == 0) {
                throw new IllegalArgumentException("layer " + l.name() + " is empty or has no device memory");
            }
            if (gridHeight % l.height() != 0 || gridWidth % l.width() != 0) {
                throw new IllegalArgumentException("layer " + l.name() + " (" + l.height() + "x" + l.width()
                        + ") does not divide the patch grid " + gridHeight + "x" + gridWidth);
            }
            shapes[i] = new int[]{l.channels(), l.height(), l.width()};
        }
        if (shapes[0][1] != gridHeight || shapes[0][2] != gridWidth) {
            throw new IllegalArgumentException("the first layer (" + shapes[0][1] + "x" + shapes[0][2]
                    + ") is not the patch grid " + gridHeight + "x" + gridWidth);
        }
        return shapes;
    }
}
