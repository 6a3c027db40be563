package dev.kensa.score;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The blocked nearest-neighbour search against a brute-force scan, on both kernels. */
class NearestNeighboursTest {

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(r.nextGaussian()); // non-negative, like pooled ReLU features
        }
        return v;
    }

    /** The nearest row by plain squared distance, and that distance. */
    static double[] brute(float[] bank, int m, int d, float[] q, int qo, int from, int to) {
        double best = Double.POSITIVE_INFINITY;
        int arg = -1;
        for (int i = 0; i < m; i++) {
            if (i >= from && i < to) {
                continue;
            }
            double s = NearestNeighbours.squaredDistance(q, qo, bank, i * d, d);
            if (s < best) {
                best = s;
                arg = i;
            }
        }
        return new double[]{arg, Math.sqrt(best)};
    }

    void check(boolean scalar, int m, int d, int queries, int from, int to) {
        Random r = new Random(m * 31L + d);
        float[] bank = random(r, m * d);
        float[] q = random(r, queries * d);
        // a few queries are bank rows themselves: distance 0, where the GEMM form cancels worst
        for (int i = 0; i < Math.min(3, queries); i++) {
            System.arraycopy(bank, (i * 7 % m) * d, q, i * d, d);
        }
        float[] dist = new float[queries];
        int[] idx = new int[queries];
        try (NearestNeighbours nn = new NearestNeighbours(bank, m, d, 2, scalar)) {
            nn.search(q, queries, dist, idx, from, to);
            if (!scalar) {
                assertEquals(dev.kensa.util.Simd.available() ? "vector" : "scalar", nn.kernel());
            }
        }
        for (int i = 0; i < queries; i++) {
            double[] b = brute(bank, m, d, q, i * d, from, to);
            double exact = Math.sqrt(NearestNeighbours.squaredDistance(q, i * d, bank, idx[i] * d, d));
            // the chosen row is the nearest (or ties with it within float rounding) and its distance is exact
            assertEquals(b[1], exact, 1e-4 * Math.max(1, b[1]), "query " + i + " (" + (scalar ? "scalar" : "vector") + ")");
            assertEquals(exact, dist[i], 1e-5 * Math.max(1, exact), "reported distance of query " + i);
            if (idx[i] >= from && idx[i] < to) {
                throw new AssertionError("query " + i + " matched excluded row " + idx[i]);
            }
        }
    }

    @Test
    void blockedSearchEqualsBruteForceOnOddShapes() {
        for (boolean scalar : new boolean[]{false, true}) {
            check(scalar, 1, 7, 3, 0, 0);
            check(scalar, 37, 19, 11, 0, 0);          // bank not a multiple of the panel, dims not of the vector
            check(scalar, 300, 384, 45, 0, 0);        // PatchCore's dims, queries not a multiple of 4
            check(scalar, 300, 384, 45, 100, 180);    // a training image's own rows left out
        }
    }

    @Test
    void kNearestIsSortedAndStartsWithItself() {
        Random r = new Random(3);
        int m = 50, d = 16;
        float[] bank = random(r, m * d);
        int[] k = NearestNeighbours.nearest(bank, m, d, bank, 7 * d, 5);
        assertEquals(7, k[0]);
        for (int i = 1; i < k.length; i++) {
            double prev = NearestNeighbours.squaredDistance(bank, 7 * d, bank, k[i - 1] * d, d);
            double cur = NearestNeighbours.squaredDistance(bank, 7 * d, bank, k[i] * d, d);
            assertEquals(true, cur >= prev, "sorted");
        }
    }

    @Test
    void refusesEverythingExcluded() {
        float[] bank = new float[4 * 2];
        try (NearestNeighbours nn = new NearestNeighbours(bank, 4, 2, 1)) {
            assertThrows(IllegalArgumentException.class, () -> nn.search(new float[2], 1, new float[1], new int[1], 0, 4));
        }
    }
}
