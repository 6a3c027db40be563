package dev.kensa.method.patchcore;

import dev.kensa.backbone.DeviceFeatureMaps;

import java.util.List;

/**
 * The contract with PatchCore's CUDA kernels in {@code native/patchcore_kernels.cu}, in one place: names, parameter
 * lists and launch configurations. {@link PatchCoreCudaScorer} builds its launches from this class only; the kernel
 * file's header is the other side of the contract.
 */
final class PatchCoreKernel {
    private PatchCoreKernel() {
    }

    static final String IMAGE = "patchcore_kernels.fatbin";
    static final String EMBED = "kensa_patchcore_embed";
    static final String NN = "kensa_patchcore_nn";
    static final String EXACT = "kensa_patchcore_exact";

    static final int BLOCK = 256;
    /** Queries per block of the nearest-neighbour kernel. */
    static final int QUERIES_PER_BLOCK = 64;
    /** Queries per block of the exact-distance kernel: one warp each. */
    static final int EXACT_PER_BLOCK = BLOCK / 32;

    /** Parameter count of each kernel, in contract order. */
    static final int EMBED_PARAMETERS = 17;
    static final int NN_PARAMETERS = 7;
    static final int EXACT_PARAMETERS = 6;

    static int[] embedGrid(int batch, int positions, int dims) {
        long values = (long) batch * positions * dims;
        return new int[]{(int) ((values + BLOCK - 1) / BLOCK), 1, 1};
    }

    static int[] nnGrid(int queries) {
        return new int[]{(queries + QUERIES_PER_BLOCK - 1) / QUERIES_PER_BLOCK, 1, 1};
    }

    static int[] exactGrid(int queries) {
        return new int[]{(queries + EXACT_PER_BLOCK - 1) / EXACT_PER_BLOCK, 1, 1};
    }

    /**
     * The embed kernel's layer arguments ({channels, height, width} for its three slots), or why the device layers do
     * not fit it: one to three NCHW layers, the first on the grid, whose channels add up to the bank's dims. Unused
     * slots get zero channels.
     */
    static int[][] layerShapes(List<DeviceFeatureMaps.Layer> layers, int gridHeight, int gridWidth, int dims) {
        if (layers.isEmpty() || layers.size() > 3) {
            throw new IllegalArgumentException("the patch feature kernel takes 1 to 3 layers, the backbone gives " + layers.size());
        }
        int[][] shapes = new int[3][];
        int total = 0;
        for (int i = 0; i < 3; i++) {
            if (i >= layers.size()) {
                shapes[i] = new int[]{0, gridHeight, gridWidth};
                continue;
            }
            DeviceFeatureMaps.Layer l = layers.get(i);
            if (l.channels() < 1 || l.height() < 1 || l.width() < 1 || l.address() == 0) {
                throw new IllegalArgumentException("layer " + l.name() + " is empty or has no device memory");
            }
            shapes[i] = new int[]{l.channels(), l.height(), l.width()};
            total += l.channels();
        }
        if (shapes[0][1] != gridHeight || shapes[0][2] != gridWidth) {
            throw new IllegalArgumentException("the first layer (" + shapes[0][1] + "x" + shapes[0][2] + ") is not the grid "
                    + gridHeight + "x" + gridWidth);
        }
        if (total != dims) {
            throw new IllegalArgumentException("the layers have " + total + " channels, the memory bank " + dims + " dims");
        }
        return shapes;
    }
}
