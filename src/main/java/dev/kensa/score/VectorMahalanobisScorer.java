package dev.kensa.score;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Mahalanobis on the CPU with the Java Vector API (SIMD: 8 floats on AVX2, 16 on AVX-512, 4 on NEON).
 *
 * <p>Images are scored in groups of one vector's width: the group's differences x - mu are laid out transposed
 * (d rows of L lanes), so each factor entry W_ij is broadcast once and multiplied into all L images with one FMA;
 * y_i and the running sum of y_i^2 stay in registers. Each position's factor is therefore read once per group
 * (once per batch when the batch is one vector wide). Images left over after the last full group are scored one
 * at a time with row dot products. A float16 factor is expanded to float32 per position into a small scratch
 * block, once per batch.
 *
 * <p>Needs {@code --add-modules jdk.incubator.vector}; {@link MahalanobisScorers} falls back to {@link ScalarMahalanobisScorer}
 * when the module is absent (e.g. a native image without it).
 */
final class VectorMahalanobisScorer implements MahalanobisScorer {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * Images per group: 8 (256-bit) where the CPU has 256-bit vectors or wider, else 4, so the common batch of 8
     * fills whole groups on AVX2 and AVX-512 alike. A static final species, because the Vector API compiles to
     * SIMD only when the species is a constant the JIT can see.
     */
    private static final VectorSpecies<Float> GROUP = SPECIES.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
    private static final VectorSpecies<Short> HALF = ShortVector.SPECIES_PREFERRED.length() >= 16
            ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> HALF_AS_INT = HALF.length() == 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Float> HALF_AS_FLOAT = HALF.length() == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final int CHUNK = 32;



    private final GaussianStats stats;
    private final ForkJoinPool pool;

    VectorMahalanobisScorer(GaussianStats stats, int threads) {
        this.stats = stats;
        this.pool = new ForkJoinPool(Math.max(1, threads));
    }

    @Override
    public void score(float[] embeddings, int batch, float[] distances) {
        MahalanobisScorer.checkBuffers(stats, embeddings, batch, distances);
        int positions = stats.positions();
        int d = stats.dims();
        int chunks = (positions + CHUNK - 1) / CHUNK;
        pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
            int lanes = SPECIES.length();
            float[] diffT = new float[d * lanes];
            float[] diff = new float[d];
            float[] lanesOut = new float[lanes];
            int packed = GaussianStats.packedSize(d);
            float[] expanded = stats.factor32() == null ? new float[packed] : null;
            int end = Math.min(positions, (c + 1) * CHUNK);
            for (int p = c * CHUNK; p < end; p++) {
                float[] w;
                int wo;
                if (expanded != null) {
                    expandHalf(stats.factor16(), p * packed, expanded, packed);
                    w = expanded;
                    wo = 0;
                } else {
                    w = stats.factor32();
                    wo = p * packed;
                }
                scorePosition(p, w, wo, embeddings, batch, distances, diffT, diff, lanesOut);
            }
        })).join();
    }

    private void scorePosition(int p, float[] w, int wo, float[] x, int batch, float[] out,
                               float[] diffT, float[] diff, float[] lanesOut) {
        int positions = stats.positions();
        int d = stats.dims();
        float[] mean = stats.mean();
        int mo = p * d;
        int lanes = SPECIES.length();
        int n = 0;
        {
            final int gl = GROUP.length();
            for (; n + gl <= batch; n += gl) {
                for (int b = 0; b < gl; b++) {
                    int xo = ((n + b) * positions + p) * d;
                    for (int j = 0; j < d; j++) {
                        diffT[j * gl + b] = x[xo + j] - mean[mo + j];
                    }
                }
                FloatVector sum = groupSquaredNorm(w, wo, diffT, d);
                sum.intoArray(lanesOut, 0);
                for (int b = 0; b < gl; b++) {
                    out[(n + b) * positions + p] = (float) Math.sqrt(lanesOut[b]);
                }
            }
        }
        for (; n < batch; n++) {
            int xo = (n * positions + p) * d;
            for (int j = 0; j < d; j++) {
                diff[j] = x[xo + j] - mean[mo + j];
            }
            double sum = 0;
            for (int i = 0, row = wo; i < d; row += ++i) {
                int len = i + 1;
                int j = 0;
                float y = 0;
                if (len >= lanes) {
                    FloatVector acc = FloatVector.zero(SPECIES);
                    for (; j + lanes <= len; j += lanes) {
                        acc = FloatVector.fromArray(SPECIES, w, row + j).fma(FloatVector.fromArray(SPECIES, diff, j), acc);
                    }
                    y = acc.reduceLanes(VectorOperators.ADD);
                }
                for (; j < len; j++) {
                    y += w[row + j] * diff[j];
                }
                sum += (double) y * y;
            }
            out[n * positions + p] = (float) Math.sqrt(sum);
        }
    }

    /**
     * Sum over rows of (W_p diff)_i^2 for one group: rows in blocks of four, so four independent FMA chains share
     * each load of a difference vector (one chain alone waits on the FMA latency at every step).
     */
    private static FloatVector groupSquaredNorm(float[] w, int wo, float[] diffT, int d) {
        final int gl = GROUP.length();
        FloatVector sum = FloatVector.zero(GROUP);
        int i = 0;
        for (; i + 4 <= d; i += 4) {
            int r0 = wo + i * (i + 1) / 2;
            int r1 = r0 + i + 1;
            int r2 = r1 + i + 2;
            int r3 = r2 + i + 3;
            FloatVector y0 = FloatVector.zero(GROUP);
            FloatVector y1 = FloatVector.zero(GROUP);
            FloatVector y2 = FloatVector.zero(GROUP);
            FloatVector y3 = FloatVector.zero(GROUP);
            for (int j = 0; j <= i; j++) {
                FloatVector v = FloatVector.fromArray(GROUP, diffT, j * gl);
                y0 = v.fma(FloatVector.broadcast(GROUP, w[r0 + j]), y0);
                y1 = v.fma(FloatVector.broadcast(GROUP, w[r1 + j]), y1);
                y2 = v.fma(FloatVector.broadcast(GROUP, w[r2 + j]), y2);
                y3 = v.fma(FloatVector.broadcast(GROUP, w[r3 + j]), y3);
            }
            FloatVector v1 = FloatVector.fromArray(GROUP, diffT, (i + 1) * gl);
            y1 = v1.fma(FloatVector.broadcast(GROUP, w[r1 + i + 1]), y1);
            y2 = v1.fma(FloatVector.broadcast(GROUP, w[r2 + i + 1]), y2);
            y3 = v1.fma(FloatVector.broadcast(GROUP, w[r3 + i + 1]), y3);
            FloatVector v2 = FloatVector.fromArray(GROUP, diffT, (i + 2) * gl);
            y2 = v2.fma(FloatVector.broadcast(GROUP, w[r2 + i + 2]), y2);
            y3 = v2.fma(FloatVector.broadcast(GROUP, w[r3 + i + 2]), y3);
            FloatVector v3 = FloatVector.fromArray(GROUP, diffT, (i + 3) * gl);
            y3 = v3.fma(FloatVector.broadcast(GROUP, w[r3 + i + 3]), y3);
            sum = y0.fma(y0, sum);
            sum = y1.fma(y1, sum);
            sum = y2.fma(y2, sum);
            sum = y3.fma(y3, sum);
        }
        for (; i < d; i++) {
            int row = wo + i * (i + 1) / 2;
            FloatVector y = FloatVector.zero(GROUP);
            for (int j = 0; j <= i; j++) {
                y = FloatVector.fromArray(GROUP, diffT, j * gl).fma(FloatVector.broadcast(GROUP, w[row + j]), y);
            }
            sum = y.fma(y, sum);
        }
        return sum;
    }

    /**
     * float16 bits to float32, a vector at a time: for finite halves, the float with bits (h &amp; 0x7fff) &lt;&lt; 13
     * times 2^112 is |h| (normals and subnormals alike), and the sign bit moves from 15 to 31. Bundles never hold
     * infinities or NaN (the reader refuses them).
     */
    static void expandHalf(short[] h, int from, float[] out, int n) {
        int lanes = HALF.length();
        int i = 0;
        FloatVector scale = FloatVector.broadcast(HALF_AS_FLOAT, 0x1p112f);
        for (; i + lanes <= n; i += lanes) {
            IntVector bits = (IntVector) ShortVector.fromArray(HALF, h, from + i).convertShape(VectorOperators.S2I, HALF_AS_INT, 0);
            IntVector magnitude = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            IntVector sign = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            FloatVector f = magnitude.reinterpretAsFloats().mul(scale);
            f.reinterpretAsInts().or(sign).reinterpretAsFloats().intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = HalfFloat.toFloat(h[from + i]);
        }
    }

    @Override
    public String describe() {
        return "cpu-vector " + SPECIES.vectorBitSize() + "-bit (" + pool.getParallelism() + " threads, "
                + stats.dtype().name().toLowerCase() + ")";
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
