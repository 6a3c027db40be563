package dev.kensa.score;

import dev.kensa.util.Simd;

import java.util.Random;

/**
 * A dense Gaussian random projection from d to k dimensions (entries N(0, 1/k), seeded): distances between projected
 * points approximate the original ones (Johnson-Lindenstrauss), which is all the coreset selection needs, at k/d of
 * the cost and memory. PatchCore selects its coreset on such a projection (k = 128).
 */
public final class RandomProjection {
    private final int inDims;
    private final int outDims;
    private final float[] matrix; // [inDims][outDims]

    public RandomProjection(int inDims, int outDims, long seed) {
        this.inDims = inDims;
        this.outDims = outDims;
        this.matrix = new float[inDims * outDims];
        Random r = new Random(seed);
        double scale = 1 / Math.sqrt(outDims);
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) (r.nextGaussian() * scale);
        }
    }

    public int outDims() {
        return outDims;
    }

    /** Projects {@code rows} rows of [..][inDims] at {@code inOffset} into [..][outDims] at {@code outOffset}. */
    public void project(float[] in, int inOffset, int rows, float[] out, int outOffset) {
        for (int r = 0; r < rows; r++) {
            int ro = inOffset + r * inDims;
            int oo = outOffset + r * outDims;
            if (Simd.available()) {
                VectorKernels.projectRow(in, ro, inDims, matrix, outDims, out, oo);
            } else {
                java.util.Arrays.fill(out, oo, oo + outDims, 0f);
                for (int i = 0; i < inDims; i++) {
                    float x = in[ro + i];
                    int mo = i * outDims;
                    for (int j = 0; j < outDims; j++) {
                        out[oo + j] += x * matrix[mo + j];
                    }
                }
            }
        }
    }
}
