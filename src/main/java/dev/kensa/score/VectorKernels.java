package dev.kensa.score;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API twins of small scalar loops of this package; loaded only when the JVM has the module. */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /** {@link KCenterCoreset#squaredDistance} over lanes. */
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
