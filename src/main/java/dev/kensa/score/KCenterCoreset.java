package dev.kensa.score;

import dev.kensa.util.Simd;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Greedy k-center coreset selection (Sener and Savarese 2018, as PatchCore uses it): start from one seeded random
 * point, then repeatedly take the point farthest from everything taken so far. The result covers the set: every point
 * is within the last selection radius of a selected one, which is what a nearest-neighbour memory bank needs (rare
 * but normal patches are kept; dense duplicates are not).
 *
 * <p>The textbook step updates every point's distance to its nearest selected point with one pass over all points,
 * so c selections cost c passes: memory-bound, minutes for a 10 % coreset of 200 images. Here every point belongs to
 * the cluster of its nearest selected point, and a step skips a whole cluster when the new point is at least twice the
 * cluster's radius from its centre (by the triangle inequality, none of its points can come closer to the new point
 * than to their own centre). The selection is the textbook one, point for point: the distances that are computed are
 * the same floats in the same order, and the skip keeps a margin far above float rounding.
 */
public final class KCenterCoreset {
    private static final int CHUNK = 4096;
    /** Skip a cluster only when centre distance^2 > PRUNE * radius^2: 4 (twice the radius) widened by 1 %. */
    private static final float PRUNE = 4.04f;
    /** A step scans its clusters in parallel when they hold at least this many points together. */
    private static final int PARALLEL_SCAN = 16384;

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
        boolean simd = Simd.available();
        float[] minDistance = new float[n]; // squared distance of each point to its nearest selected point
        int[] selected = new int[count];
        float[] centres = new float[count * dims];

        int first = new Random(seed).nextInt(n);
        selected[0] = first;
        System.arraycopy(points, first * dims, centres, 0, dims);
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, threads));
        try {
            firstPass(points, n, dims, centres, minDistance, pool, simd);
            return greedy(points, n, dims, count, minDistance, centres, selected, pool, threads, simd, progress);
        } finally {
            pool.shutdown();
        }
    }

    private static int[] greedy(float[] points, int n, int dims, int count, float[] minDistance, float[] centres,
                                int[] selected, ForkJoinPool pool, int threads, boolean simd, IntConsumer progress) {
        int[][] members = new int[count][];  // points whose nearest selected point is selected[t]
        int[] size = new int[count];
        float[] radius = new float[count];   // squared: the largest minDistance among the members (-1 when none)
        int[] far = new int[count];          // the member at that distance (lowest index on ties)
        members[0] = new int[n];
        for (int i = 0; i < n; i++) {
            members[0][i] = i;
        }
        size[0] = n;
        summarise(members[0], n, minDistance, radius, far, 0);

        int[] moved = new int[n];
        boolean[] closer = new boolean[n];  // set by the scan of a step, cleared when its clusters are compacted
        int[] scan = new int[count];
        int reported = 0;
        for (int s = 1; s < count; s++) {
            if (s - reported >= 64) {
                progress.accept(s - reported);
                reported = s;
            }
            int best = 0;
            for (int t = 1; t < s; t++) {
                if (radius[t] > radius[best] || (radius[t] == radius[best] && size[t] > 0 && far[t] < far[best])) {
                    best = t;
                }
            }
            int c = far[best];
            selected[s] = c;
            int co = s * dims;
            System.arraycopy(points, c * dims, centres, co, dims);
            int scans = 0;
            long scanned = 0;
            for (int t = 0; t < s; t++) {
                if (size[t] == 0) {
                    continue;
                }
                float between = distance(centres, co, centres, t * dims, dims, simd);
                if (between <= PRUNE * radius[t]) {
                    scan[scans++] = t;
                    scanned += size[t];
                }
            }
            if (threads > 1 && scanned >= PARALLEL_SCAN) {
                // work items of at most CHUNK members, so one big cluster is shared out too
                int items = 0;
                for (int j = 0; j < scans; j++) {
                    items += (size[scan[j]] + CHUNK - 1) / CHUNK;
                }
                int[] itemCluster = new int[items];
                int[] itemFrom = new int[items];
                int w = 0;
                for (int j = 0; j < scans; j++) {
                    for (int from = 0; from < size[scan[j]]; from += CHUNK) {
                        itemCluster[w] = scan[j];
                        itemFrom[w++] = from;
                    }
                }
                pool.submit(() -> IntStream.range(0, itemCluster.length).parallel().forEach(x -> {
                    int t = itemCluster[x];
                    markCloser(points, dims, centres, co, members[t], itemFrom[x], Math.min(size[t], itemFrom[x] + CHUNK),
                            minDistance, closer, simd);
                })).join();
            } else {
                for (int j = 0; j < scans; j++) {
                    markCloser(points, dims, centres, co, members[scan[j]], 0, size[scan[j]], minDistance, closer, simd);
                }
            }
            int movedCount = 0;
            for (int j = 0; j < scans; j++) {
                int t = scan[j];
                int[] m = members[t];
                int kept = 0;
                for (int q = 0; q < size[t]; q++) {
                    int i = m[q];
                    if (closer[i]) {
                        closer[i] = false;
                        moved[movedCount++] = i;
                    } else {
                        m[kept++] = i;
                    }
                }
                if (kept < size[t]) {
                    size[t] = kept;
                    summarise(m, kept, minDistance, radius, far, t);
                }
            }
            members[s] = Arrays.copyOf(moved, movedCount);
            size[s] = movedCount;
            summarise(members[s], movedCount, minDistance, radius, far, s);
        }
        progress.accept(count - reported);
        return selected;
    }

    /** Members [from, to) of one cluster that the new centre is closer to: their distance lowered, their flag set. */
    private static void markCloser(float[] points, int dims, float[] centres, int co, int[] m, int from, int to,
                                   float[] minDistance, boolean[] closer, boolean simd) {
        for (int q = from; q < to; q++) {
            int i = m[q];
            float d = distance(points, i * dims, centres, co, dims, simd);
            if (d < minDistance[i]) {
                minDistance[i] = d;
                closer[i] = true;
            }
        }
    }

    /** Radius and farthest member (lowest index on ties) of cluster t. */
    private static void summarise(int[] m, int size, float[] minDistance, float[] radius, int[] far, int t) {
        float r = -1;
        int arg = Integer.MAX_VALUE;
        for (int j = 0; j < size; j++) {
            int i = m[j];
            float d = minDistance[i];
            if (d > r || (d == r && i < arg)) {
                r = d;
                arg = i;
            }
        }
        radius[t] = r;
        far[t] = size > 0 ? arg : 0;
    }

    /** Every point's distance to the first selected point: the one full pass, in parallel chunks. */
    private static void firstPass(float[] points, int n, int dims, float[] centres, float[] minDistance, ForkJoinPool pool,
                                  boolean simd) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(ch -> {
            for (int i = ch * CHUNK; i < Math.min(n, (ch + 1) * CHUNK); i++) {
                minDistance[i] = distance(points, i * dims, centres, 0, dims, simd);
            }
        })).join();
    }

    /** Squared distance with the Vector API kernel when {@code simd}, else the scalar one. */
    static float distance(float[] a, int ao, float[] b, int bo, int dims, boolean simd) {
        return simd ? VectorKernels.squaredDistance(a, ao, b, bo, dims) : squaredDistance(a, ao, b, bo, dims);
    }

    /** Squared distance, the scalar twin of {@link VectorKernels#squaredDistance}. */
    static float squaredDistance(float[] a, int ao, float[] b, int bo, int dims) {
        float s = 0;
        for (int k = 0; k < dims; k++) {
            float d = a[ao + k] - b[bo + k];
            s += d * d;
        }
        return s;
    }
}
