package dev.kensa.score;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API twins of small scalar loops of this package; loaded only when the JVM has the module. */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /** {@link KCenterCoreset#updateMinDistances} with the squared distance over lanes. */
    static long updateMinDistances(float[] points, int dims, int center, int from, int to, float[] minDistance) {
        int co = center * dims;
        int bound = F.loopBound(dims);
        float max = -1;
        int arg = from;
        for (int i = from; i < to; i++) {
            int o = i * dims;
            FloatVector acc = FloatVector.zero(F);
            int k = 0;
            for (; k < bound; k += F.length()) {
                FloatVector d = FloatVector.fromArray(F, points, o + k).sub(FloatVector.fromArray(F, points, co + k));
                acc = d.fma(d, acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; k < dims; k++) {
                float d = points[o + k] - points[co + k];
                s += d * d;
            }
            float m = Math.min(minDistance[i], s);
            minDistance[i] = m;
            if (m > max) {
                max = m;
                arg = i;
            }
        }
        return ((long) arg << 32) | (Float.floatToRawIntBits(max) & 0xffffffffL);
    }

    /**
     * {@link KCenterCoreset#squaredDistance} over lanes, in the operation order of {@link #updateMinDistances} (so a
     * point's distance is the same float whichever of the two computes it).
     */
    static float squaredDistance(float[] a, int ao, float[] b, int bo, int dims) {
        int bound = F.loopBound(dims);
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += F.length()) {
            FloatVector d = FloatVector.fromArray(F, a, ao + k).sub(FloatVector.fromArray(F, b, bo + k));
            acc = d.fma(d, acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < dims; k++) {
            float d = a[ao + k] - b[bo + k];
            s += d * d;
        }
        return s;
    }

    /** out[j] = sum_i in[i] * matrix[i][j] for one row. */
    static void projectRow(float[] in, int ro, int inDims, float[] matrix, int outDims, float[] out, int oo) {
        int bound = F.loopBound(outDims);
        for (int j = 0; j < bound; j += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < inDims; i++) {
                acc = FloatVector.fromArray(F, matrix, i * outDims + j).fma(FloatVector.broadcast(F, in[ro + i]), acc);
            }
            acc.intoArray(out, oo + j);
        }
        for (int j = bound; j < outDims; j++) {
            float s = 0;
            for (int i = 0; i < inDims; i++) {
                s += in[ro + i] * matrix[i * outDims + j];
            }
            out[oo + j] = s;
        }
    }
}
