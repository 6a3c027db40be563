package dev.kensa.post;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Row kernels on the Vector API; only loaded when {@link dev.kensa.util.Simd#available()}. */
final class VectorRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorRows() {
    }

    /** out[oo + x] += w * in[io + x] for x in [0, n). */
    static void axpy(float w, float[] in, int io, float[] out, int oo, int n) {
        FloatVector wv = FloatVector.broadcast(S, w);
        int x = 0;
        for (int end = S.loopBound(n); x < end; x += S.length()) {
            FloatVector.fromArray(S, in, io + x).fma(wv, FloatVector.fromArray(S, out, oo + x)).intoArray(out, oo + x);
        }
        for (; x < n; x++) {
            out[oo + x] += w * in[io + x];
        }
    }
}
