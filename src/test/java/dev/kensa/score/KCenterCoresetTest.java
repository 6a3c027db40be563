package dev.kensa.score;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Greedy k-center selection against a plain re-implementation of the greedy rule, and its covering radius. */
class KCenterCoresetTest {

    /** The textbook greedy: each step, the point whose distance to the nearest selected point is largest. */
    static int[] brute(float[] p, int n, int d, int count, int first) {
        int[] sel = new int[count];
        sel[0] = first;
        for (int s = 1; s < count; s++) {
            double best = -1;
            int arg = -1;
            for (int i = 0; i < n; i++) {
                double nearest = Double.POSITIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    nearest = Math.min(nearest, NearestNeighbours.squaredDistance(p, i * d, p, sel[j] * d, d));
                }
                if (nearest > best) {
                    best = nearest;
                    arg = i;
                }
            }
            sel[s] = arg;
        }
        return sel;
    }

    @Test
    void selectionIsTheGreedyFarthestPointOrder() {
        Random r = new Random(11);
        int n = 9000, d = 24, count = 40; // more points than one chunk: the per-chunk maxima are merged
        float[] p = new float[n * d];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian();
        }
        int[] progress = {0};
        int[] fast = KCenterCoreset.select(p, n, d, count, 5, 2, k -> progress[0] += k);
        assertEquals(count, progress[0]);
        assertArrayEquals(brute(p, n, d, count, fast[0]), fast);
        assertEquals(count, new HashSet<>(Arrays.stream(fast).boxed().toList()).size(), "distinct");
    }

    /** The textbook step, a full pass per selection with the distance kernel the product uses; ties to the lowest index. */
    static int[] fullPasses(float[] p, int n, int d, int count, int first) {
        float[] min = new float[n];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        int[] sel = new int[count];
        int c = first;
        for (int s = 0; s < count; s++) {
            sel[s] = c;
            for (int i = 0; i < n; i++) {
                min[i] = Math.min(min[i], KCenterCoreset.distance(p, i * d, p, c * d, d, dev.kensa.util.Simd.available()));
            }
            int arg = 0;
            for (int i = 1; i < n; i++) {
                if (min[i] > min[arg]) {
                    arg = i;
                }
            }
            c = arg;
        }
        return sel;
    }

    @Test
    void skippingClustersSelectsExactlyWhatFullPassesSelect() {
        Random r = new Random(7);
        // blobs of different spread (what patch features look like): most clusters are skipped at most steps
        int n = 30000, d = 32, count = 3000;
        float[] p = new float[n * d];
        float[][] blobs = new float[40][d];
        for (float[] b : blobs) {
            for (int k = 0; k < d; k++) {
                b[k] = (float) (r.nextGaussian() * 10);
            }
        }
        for (int i = 0; i < n; i++) {
            float[] b = blobs[r.nextInt(blobs.length)];
            double spread = 0.2 + (i % 7) * 0.3;
            for (int k = 0; k < d; k++) {
                p[i * d + k] = b[k] + (float) (r.nextGaussian() * spread);
            }
        }
        int[] fast = KCenterCoreset.select(p, n, d, count, 3, 2, k -> { });
        assertArrayEquals(fullPasses(p, n, d, count, fast[0]), fast);
    }

    @Test
    void tiesAndDuplicatePointsSelectLikeFullPasses() {
        Random r = new Random(5);
        // points on a small integer lattice: many equal distances and exact duplicates, so the lowest-index rule decides
        int n = 6000, d = 3, count = 400;
        float[] p = new float[n * d];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextInt(6);
        }
        int[] fast = KCenterCoreset.select(p, n, d, count, 9, 1, k -> { });
        assertArrayEquals(fullPasses(p, n, d, count, fast[0]), fast);
    }

    @Test
    void everyPointIsWithinTheLastRadiusOfTheCoreset() {
        Random r = new Random(2);
        int n = 2000, d = 8, count = 100;
        float[] p = new float[n * d];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian();
        }
        int[] sel = KCenterCoreset.select(p, n, d, count, 1, 1, k -> { });
        Set<Integer> chosen = new HashSet<>(Arrays.stream(sel).boxed().toList());
        double radius = 0;
        for (int i = 0; i < n; i++) {
            double nearest = Double.POSITIVE_INFINITY;
            for (int s : sel) {
                nearest = Math.min(nearest, NearestNeighbours.squaredDistance(p, i * d, p, s * d, d));
            }
            radius = Math.max(radius, nearest);
        }
        // greedy k-center is a 2-approximation: the covering radius is at most twice the optimum, and it never
        // exceeds the distance of the last point it picked when that point was picked
        double lastPick = Double.POSITIVE_INFINITY;
        int last = sel[count - 1];
        for (int j = 0; j < count - 1; j++) {
            lastPick = Math.min(lastPick, NearestNeighbours.squaredDistance(p, last * d, p, sel[j] * d, d));
        }
        assertTrue(radius <= lastPick + 1e-6, radius + " > " + lastPick);
        assertTrue(chosen.size() == count);
    }
}
