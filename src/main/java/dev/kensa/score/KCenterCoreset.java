package dev.kensa.score;

import dev.kensa.util.Simd;

import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Greedy k-center coreset selection (Sener and Savarese 2018, as PatchCore uses it): start from one seeded random
 * point, then repeatedly take the point farthest from everything taken so far. The result covers the set: every point
 * is within the last selection radius of a selected one, which is what a nearest-neighbour memory bank needs (rare
 * but normal patches are kept; dense duplicates are not). Each step updates every point's distance to its nearest
 * selected point with one pass over the (projected) points, so a selection of c points costs c passes.
 */
public final class KCenterCoreset {
    private static final int CHUNK = 4096;

    private KCenterCoreset() {
    }

    /**
     * @param points [n][dims] row-major (e.g. randomly projected patch features)
     * @param count  how many points to select, 1..n
     * @param progress called with the number of points selected since the last call
     * @return the selected row indices, in selection order
     */
    public static int[] select(float[] points, int n, int dims, int count, long seed, int threads, IntConsumer progress) {
        if (count < 1 || count > n) {
            throw new IllegalArgumentException("cannot select " + count + " of " + n + " points");
        }
        float[] minDistance = new float[n];
        java.util.Arrays.fill(minDistance, Float.POSITIVE_INFINITY);
        int[] selected = new int[count];
        int center = new Random(seed).nextInt(n);
        int chunks = (n + CHUNK - 1) / CHUNK;
        int[] chunkArg = new int[chunks];
        float[] chunkMax = new float[chunks];
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, threads));
        try {
            int reported = 0;
            for (int s = 0; s < count; s++) {
                selected[s] = center;
                int c = center;
                pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(ch -> {
                    int from = ch * CHUNK;
                    int to = Math.min(n, from + CHUNK);
                    long best = Simd.available()
                            ? VectorKernels.updateMinDistances(points, dims, c, from, to, minDistance)
                            : updateMinDistances(points, dims, c, from, to, minDistance);
                    chunkArg[ch] = (int) (best >>> 32);
                    chunkMax[ch] = Float.intBitsToFloat((int) best);
                })).join();
                int arg = chunkArg[0];
                float max = chunkMax[0];
                for (int ch = 1; ch < chunks; ch++) {
                    if (chunkMax[ch] > max) {
                        max = chunkMax[ch];
                        arg = chunkArg[ch];
                    }
                }
                center = arg;
                if (s + 1 - reported >= 64 || s + 1 == count) {
                    progress.accept(s + 1 - reported);
                    reported = s + 1;
                }
            }
        } finally {
            pool.shutdown();
        }
        return selected;
    }

    /**
     * minDistance[i] = min(minDistance[i], ||p_i - p_center||^2) for i in [from, to); returns the farthest point of the
     * range after the update as (index << 32 | float bits of its distance).
     */
    static long updateMinDistances(float[] points, int dims, int center, int from, int to, float[] minDistance) {
        int co = center * dims;
        float max = -1;
        int arg = from;
        for (int i = from; i < to; i++) {
            int o = i * dims;
            float s = 0;
            for (int k = 0; k < dims; k++) {
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
}
