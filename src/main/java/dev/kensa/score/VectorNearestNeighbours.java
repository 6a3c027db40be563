package dev.kensa.score;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel of {@link NearestNeighbours}: the bank packed in column panels of two vectors' width
 * ([panel][dims][W], W = 2 lanes), so one step over k loads two vectors of bank values and broadcasts one query value
 * per row into eight fused multiply-adds (4 rows x 2 vectors in registers). Each panel ends with the candidates
 * ||b||^2 - 2 q.b merged into a running per-lane minimum and its panel, reduced across lanes once per block.
 * Loaded only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorNearestNeighbours {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.length() == F.length()
            ? IntVector.SPECIES_PREFERRED : species(F.length());
    private static final int L = F.length();
    private static final int W = 2 * L;

    private VectorNearestNeighbours() {
    }

    @SuppressWarnings("unchecked")
    private static VectorSpecies<Integer> species(int lanes) {
        return (VectorSpecies<Integer>) VectorSpecies.of(int.class, jdk.incubator.vector.VectorShape.forBitSize(lanes * 32));
    }

    /** The bank in panels of W columns: [panel][k][W], padded with zero rows (their norm is +inf). */
    record Packed(float[] data, int panels, int paddedSize) {
    }

    static Packed pack(float[] bank, int size, int dims) {
        int panels = (size + W - 1) / W;
        float[] data = new float[panels * dims * W];
        for (int m = 0; m < size; m++) {
            int base = (m / W) * dims * W + m % W;
            for (int k = 0; k < dims; k++) {
                data[base + k * W] = bank[m * dims + k];
            }
        }
        return new Packed(data, panels, panels * W);
    }

    /** Nearest bank row (by ||b||^2 - 2 q.b) of each query row first..first+rows-1 (rows <= 4) into indices. */
    static void block(Packed bank, float[] norms, float[] q, int first, int rows, int dims, int[] indices) {
        int last = first + rows - 1;
        int q0 = first * dims;
        int q1 = Math.min(first + 1, last) * dims;
        int q2 = Math.min(first + 2, last) * dims;
        int q3 = Math.min(first + 3, last) * dims;
        FloatVector inf = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        FloatVector b00 = inf, b01 = inf, b10 = inf, b11 = inf, b20 = inf, b21 = inf, b30 = inf, b31 = inf;
        IntVector zero = IntVector.zero(I);
        IntVector i00 = zero, i01 = zero, i10 = zero, i11 = zero, i20 = zero, i21 = zero, i30 = zero, i31 = zero;
        float[] data = bank.data();
        float[] acc = new float[8 * L];
        for (int p = 0; p < bank.panels(); p++) {
            panel(data, p * dims * W, dims, q, q0, q1, q2, q3, acc);
            FloatVector n0 = FloatVector.fromArray(F, norms, p * W);
            FloatVector n1 = FloatVector.fromArray(F, norms, p * W + L);
            IntVector panelIndex = IntVector.broadcast(I, p);
            FloatVector c;
            VectorMask<Float> better;
            c = n0.sub(FloatVector.fromArray(F, acc, 0).mul(2f));
            better = c.lt(b00);
            b00 = b00.blend(c, better);
            i00 = i00.blend(panelIndex, better.cast(I));
            c = n1.sub(FloatVector.fromArray(F, acc, L).mul(2f));
            better = c.lt(b01);
            b01 = b01.blend(c, better);
            i01 = i01.blend(panelIndex, better.cast(I));
            c = n0.sub(FloatVector.fromArray(F, acc, 2 * L).mul(2f));
            better = c.lt(b10);
            b10 = b10.blend(c, better);
            i10 = i10.blend(panelIndex, better.cast(I));
            c = n1.sub(FloatVector.fromArray(F, acc, 3 * L).mul(2f));
            better = c.lt(b11);
            b11 = b11.blend(c, better);
            i11 = i11.blend(panelIndex, better.cast(I));
            c = n0.sub(FloatVector.fromArray(F, acc, 4 * L).mul(2f));
            better = c.lt(b20);
            b20 = b20.blend(c, better);
            i20 = i20.blend(panelIndex, better.cast(I));
            c = n1.sub(FloatVector.fromArray(F, acc, 5 * L).mul(2f));
            better = c.lt(b21);
            b21 = b21.blend(c, better);
            i21 = i21.blend(panelIndex, better.cast(I));
            c = n0.sub(FloatVector.fromArray(F, acc, 6 * L).mul(2f));
            better = c.lt(b30);
            b30 = b30.blend(c, better);
            i30 = i30.blend(panelIndex, better.cast(I));
            c = n1.sub(FloatVector.fromArray(F, acc, 7 * L).mul(2f));
            better = c.lt(b31);
            b31 = b31.blend(c, better);
            i31 = i31.blend(panelIndex, better.cast(I));
        }
        indices[first] = argmin(b00, b01, i00, i01);
        if (rows > 1) {
            indices[first + 1] = argmin(b10, b11, i10, i11);
        }
        if (rows > 2) {
            indices[first + 2] = argmin(b20, b21, i20, i21);
        }
        if (rows > 3) {
            indices[first + 3] = argmin(b30, b31, i30, i31);
        }
    }

    /**
     * q.b for 4 query rows and the W bank rows of one panel, into acc [row][W]. A small method of its own: the JIT
     * keeps its eight accumulators in registers only when the loop body is this simple.
     */
    private static void panel(float[] data, int base, int dims, float[] q, int q0, int q1, int q2, int q3, float[] acc) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int k = 0; k < dims; k++) {
            int o = base + k * W;
            FloatVector v0 = FloatVector.fromArray(F, data, o);
            FloatVector v1 = FloatVector.fromArray(F, data, o + L);
            FloatVector x = FloatVector.broadcast(F, q[q0 + k]);
            a00 = x.fma(v0, a00);
            a01 = x.fma(v1, a01);
            x = FloatVector.broadcast(F, q[q1 + k]);
            a10 = x.fma(v0, a10);
            a11 = x.fma(v1, a11);
            x = FloatVector.broadcast(F, q[q2 + k]);
            a20 = x.fma(v0, a20);
            a21 = x.fma(v1, a21);
            x = FloatVector.broadcast(F, q[q3 + k]);
            a30 = x.fma(v0, a30);
            a31 = x.fma(v1, a31);
        }
        a00.intoArray(acc, 0);
        a01.intoArray(acc, L);
        a10.intoArray(acc, 2 * L);
        a11.intoArray(acc, 3 * L);
        a20.intoArray(acc, 4 * L);
        a21.intoArray(acc, 5 * L);
        a30.intoArray(acc, 6 * L);
        a31.intoArray(acc, 7 * L);
    }

    /** The bank row of the smallest candidate over the two vectors' lanes (first half: lane; second: L + lane). */
    private static int argmin(FloatVector v0, FloatVector v1, IntVector p0, IntVector p1) {
        float best = Float.POSITIVE_INFINITY;
        int arg = 0;
        for (int lane = 0; lane < L; lane++) {
            float a = v0.lane(lane);
            if (a < best) {
                best = a;
                arg = p0.lane(lane) * W + lane;
            }
            float b = v1.lane(lane);
            if (b < best) {
                best = b;
                arg = p1.lane(lane) * W + L + lane;
            }
        }
        return arg;
    }
}
