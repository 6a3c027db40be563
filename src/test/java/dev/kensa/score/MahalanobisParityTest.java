package dev.kensa.score;

import dev.kensa.method.padim.GaussianAccumulator;
import dev.kensa.method.padim.GaussianFit;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins the product's Mahalanobis distance (streaming moments, Cholesky, inverse factor, packed W, float32) against
 * the textbook computation: mean, unbiased covariance + eps I, full inverse by Gauss-Jordan, sqrt(v^T S^-1 v).
 */
class MahalanobisParityTest {
    static final int GRID_H = 2, GRID_W = 3, P = GRID_H * GRID_W, D = 7, N = 40;
    static final double EPS = 0.01;

    /** Correlated, offset features so the covariance is far from diagonal and the mean far from 0. */
    static float[] sample(Random r, int n) {
        float[] x = new float[n * P * D];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < P; p++) {
                double common = r.nextGaussian();
                for (int j = 0; j < D; j++) {
                    x[(i * P + p) * D + j] = (float) (5 + p + j * 0.5 + (j + 1) * 0.3 * common + 0.4 * r.nextGaussian());
                }
            }
        }
        return x;
    }

    static double[][] directInverseCovariance(float[] x, int n, int p, double[] meanOut) {
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += x[(i * P + p) * D + j];
            }
            meanOut[j] = s / n;
        }
        double[][] a = new double[D][2 * D];
        for (int j = 0; j < D; j++) {
            for (int k = 0; k < D; k++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += (x[(i * P + p) * D + j] - meanOut[j]) * (x[(i * P + p) * D + k] - meanOut[k]);
                }
                a[j][k] = s / (n - 1) + (j == k ? EPS : 0);
            }
            a[j][D + j] = 1;
        }
        // Gauss-Jordan with partial pivoting
        for (int c = 0; c < D; c++) {
            int piv = c;
            for (int r = c + 1; r < D; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) {
                    piv = r;
                }
            }
            double[] t = a[c];
            a[c] = a[piv];
            a[piv] = t;
            double diag = a[c][c];
            for (int k = 0; k < 2 * D; k++) {
                a[c][k] /= diag;
            }
            for (int r = 0; r < D; r++) {
                if (r != c) {
                    double f = a[r][c];
                    for (int k = 0; k < 2 * D; k++) {
                        a[r][k] -= f * a[c][k];
                    }
                }
            }
        }
        double[][] inv = new double[D][D];
        for (int j = 0; j < D; j++) {
            System.arraycopy(a[j], D, inv[j], 0, D);
        }
        return inv;
    }

    static double directDistance(double[][] inv, double[] mean, float[] x, int offset) {
        double s = 0;
        for (int j = 0; j < D; j++) {
            for (int k = 0; k < D; k++) {
                s += (x[offset + j] - mean[j]) * inv[j][k] * (x[offset + k] - mean[k]);
            }
        }
        return Math.sqrt(s);
    }

    static GaussianStats fit(float[] train, int n) {
        float[] shift = java.util.Arrays.copyOfRange(train, 0, P * D);
        GaussianAccumulator acc = new GaussianAccumulator(P, D, shift);
        acc.add(train, n);
        return GaussianFit.fit(List.of(acc), List.of(), GRID_H, GRID_W, EPS);
    }

    @Test
    void inverseCholeskyDistanceEqualsDirectInverseCovariance() {
        Random r = new Random(7);
        float[] train = sample(r, N);
        float[] test = sample(r, 5);
        GaussianStats stats = fit(train, N);
        float[] distances = new float[5 * P];
        try (ScalarMahalanobisScorer scorer = new ScalarMahalanobisScorer(stats, 2)) {
            scorer.score(test, 5, distances);
        }
        for (int p = 0; p < P; p++) {
            double[] mean = new double[D];
            double[][] inv = directInverseCovariance(train, N, p, mean);
            for (int j = 0; j < D; j++) {
                assertEquals(mean[j], stats.mean()[p * D + j], 1e-4, "mean p=" + p + " j=" + j);
            }
            for (int i = 0; i < 5; i++) {
                double expected = directDistance(inv, mean, test, (i * P + p) * D);
                assertEquals(expected, distances[i * P + p], 2e-4 * expected, "distance image " + i + " p=" + p);
            }
        }
    }

    @Test
    void factorTimesCovarianceTimesFactorTransposeIsIdentity() {
        Random r = new Random(11);
        float[] train = sample(r, N);
        GaussianStats stats = fit(train, N);
        int p = 4;
        double[] mean = new double[D];
        double[][] inv = directInverseCovariance(train, N, p, mean);
        // W^T W = S^-1 when W = L^-1 and S = L L^T
        float[] w = stats.factor32();
        int o = p * GaussianStats.packedSize(D);
        for (int j = 0; j < D; j++) {
            for (int k = 0; k < D; k++) {
                double s = 0;
                for (int i = Math.max(j, k); i < D; i++) {
                    s += w[o + i * (i + 1) / 2 + j] * w[o + i * (i + 1) / 2 + k];
                }
                assertEquals(inv[j][k], s, 1e-3 * Math.max(1, Math.abs(inv[j][k])), "W^T W vs S^-1 at " + j + "," + k);
            }
        }
    }

    @Test
    void foldModelByAccumulatorSubtractionEqualsFitOnTheRest() {
        Random r = new Random(3);
        float[] all = sample(r, N);
        float[] shift = java.util.Arrays.copyOfRange(all, 0, P * D);
        GaussianAccumulator a = new GaussianAccumulator(P, D, shift);
        GaussianAccumulator b = new GaussianAccumulator(P, D, shift);
        a.add(all, 0, 25);
        b.add(all, 25 * P * D, N - 25);
        GaussianStats minus = GaussianFit.fit(List.of(a, b), List.of(b), GRID_H, GRID_W, EPS);
        GaussianStats direct = fit(all, 25);
        for (int i = 0; i < direct.factor32().length; i++) {
            assertEquals(direct.factor32()[i], minus.factor32()[i], 1e-3 * Math.max(1, Math.abs(direct.factor32()[i])));
        }
        for (int i = 0; i < direct.mean().length; i++) {
            assertEquals(direct.mean()[i], minus.mean()[i], 1e-4);
        }
    }

    @Test
    void float16FactorGivesNearlyTheSameDistance() {
        Random r = new Random(5);
        float[] train = sample(r, N);
        float[] test = sample(r, 3);
        GaussianStats f32 = fit(train, N);
        GaussianStats f16 = f32.toFloat16();
        assertEquals(f32.memoryBytes() - 2L * f32.factor32().length, f16.memoryBytes());
        float[] d32 = new float[3 * P];
        float[] d16 = new float[3 * P];
        try (ScalarMahalanobisScorer s32 = new ScalarMahalanobisScorer(f32, 1); ScalarMahalanobisScorer s16 = new ScalarMahalanobisScorer(f16, 1)) {
            s32.score(test, 3, d32);
            s16.score(test, 3, d16);
        }
        for (int i = 0; i < d32.length; i++) {
            assertEquals(d32[i], d16[i], 2e-3 * d32[i], "float16 distance " + i);
            assertTrue(d32[i] > 0);
        }
    }

    @Test
    void halfFloatRoundTripsAndRounds() {
        assertEquals(1.0f, HalfFloat.toFloat(HalfFloat.fromFloat(1.0f)));
        assertEquals(-2.5f, HalfFloat.toFloat(HalfFloat.fromFloat(-2.5f)));
        assertEquals(65504f, HalfFloat.toFloat(HalfFloat.fromFloat(65504f)));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloat.toFloat(HalfFloat.fromFloat(1e6f)));
        assertEquals(0x1p-24f, HalfFloat.toFloat(HalfFloat.fromFloat(0x1p-24f))); // smallest subnormal
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even -> 1
        assertEquals(1.0f, HalfFloat.toFloat(HalfFloat.fromFloat(1f + 0x1p-11f)));
        Random r = new Random(1);
        for (int i = 0; i < 10000; i++) {
            float v = (float) (r.nextGaussian() * 100);
            float back = HalfFloat.toFloat(HalfFloat.fromFloat(v));
            assertEquals(v, back, Math.abs(v) * 0x1p-11f + 1e-7f);
        }
    }
}
