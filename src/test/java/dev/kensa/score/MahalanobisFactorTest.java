package dev.kensa.score;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three routes between a notebook's Gaussian and the bundle's factor agree: W from the covariance S, W from
 * its inverse Q (no inversion), and Q back from W; each gives the Mahalanobis distance computed directly.
 */
class MahalanobisFactorTest {

    /** A random symmetric positive definite d x d matrix (full, row-major) with eigenvalues spread over decades. */
    static double[] spd(int d, Random r) {
        double[] a = new double[d * d];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
        }
        double[] s = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = 0;
                for (int k = 0; k < d; k++) {
                    v += a[i * d + k] * a[j * d + k] * Math.pow(10, -2.0 * k / d);
                }
                s[i * d + j] = v;
            }
            s[i * d + i] += 0.01;
        }
        return s;
    }

    /** Gauss-Jordan inverse with partial pivoting: the test's independent route to S^-1. */
    static double[] inverse(double[] m, int d) {
        double[] a = m.clone();
        double[] inv = new double[d * d];
        for (int i = 0; i < d; i++) {
            inv[i * d + i] = 1;
        }
        for (int c = 0; c < d; c++) {
            int pivot = c;
            for (int r = c + 1; r < d; r++) {
                if (Math.abs(a[r * d + c]) > Math.abs(a[pivot * d + c])) {
                    pivot = r;
                }
            }
            for (int k = 0; k < d; k++) {
                double t = a[c * d + k];
                a[c * d + k] = a[pivot * d + k];
                a[pivot * d + k] = t;
                t = inv[c * d + k];
                inv[c * d + k] = inv[pivot * d + k];
                inv[pivot * d + k] = t;
            }
            double p = a[c * d + c];
            for (int k = 0; k < d; k++) {
                a[c * d + k] /= p;
                inv[c * d + k] /= p;
            }
            for (int r = 0; r < d; r++) {
                if (r != c) {
                    double f = a[r * d + c];
                    for (int k = 0; k < d; k++) {
                        a[r * d + k] -= f * a[c * d + k];
                        inv[r * d + k] -= f * inv[c * d + k];
                    }
                }
            }
        }
        return inv;
    }

    static double quadratic(double[] q, double[] v, int d) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                s += v[i] * q[i * d + j] * v[j];
            }
        }
        return s;
    }

    static double packedNormSquared(double[] w, double[] v, int d) {
        double s = 0;
        for (int i = 0, row = 0; i < d; row += ++i) {
            double y = 0;
            for (int j = 0; j <= i; j++) {
                y += w[row + j] * v[j];
            }
            s += y * y;
        }
        return s;
    }

    static double[] packLower(double[] full, int d) {
        double[] p = new double[GaussianStats.packedSize(d)];
        for (int i = 0, row = 0; i < d; row += ++i) {
            for (int j = 0; j <= i; j++) {
                p[row + j] = full[i * d + j];
            }
        }
        return p;
    }

    @Test
    void factorFromTheInverseCovarianceIsTheFactorFromTheCovariance() {
        Random r = new Random(11);
        for (int d : new int[]{1, 2, 7, 40}) {
            double[] s = spd(d, r);
            double[] q = inverse(s, d);
            double[] fromS = packLower(s, d);
            assertTrue(MahalanobisFactor.fromCovariance(fromS, d));
            double[] fromQ = new double[GaussianStats.packedSize(d)];
            assertTrue(MahalanobisFactor.fromPrecision(q, d, new double[fromQ.length], fromQ));
            double scale = 0;
            for (double w : fromS) {
                scale = Math.max(scale, Math.abs(w));
            }
            for (int i = 0; i < fromS.length; i++) {
                assertEquals(fromS[i], fromQ[i], 1e-8 * scale, "d=" + d + " entry " + i);
            }
            double[] v = new double[d];
            for (int i = 0; i < d; i++) {
                v[i] = r.nextGaussian();
            }
            double direct = quadratic(q, v, d);
            assertEquals(direct, packedNormSquared(fromQ, v, d), 1e-9 * direct, "||W v||^2 = v^T S^-1 v");
        }
    }

    @Test
    void precisionFromTheStoredFactorRebuildsTheSameFactor() {
        Random r = new Random(5);
        int d = 30;
        double[] s = spd(d, r);
        double[] w = packLower(s, d);
        assertTrue(MahalanobisFactor.fromCovariance(w, d));
        float[] factor = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            factor[i] = (float) w[i];
        }
        GaussianStats stats = GaussianStats.ofFloat32(1, 1, d, new float[d], factor);
        double[] q = new double[d * d];
        MahalanobisFactor.precision(stats, 0, q);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                assertEquals(q[i * d + j], q[j * d + i], 0, "symmetric");
            }
        }
        double[] back = new double[w.length];
        assertTrue(MahalanobisFactor.fromPrecision(q, d, new double[w.length], back));
        for (int i = 0; i < w.length; i++) {
            assertEquals(factor[i], (float) back[i], Math.ulp(factor[i]) * 2, "entry " + i + " survives W -> Q -> W");
        }
        // float16 factors too
        MahalanobisFactor.precision(stats.toFloat16(), 0, q);
        assertTrue(MahalanobisFactor.fromPrecision(q, d, new double[w.length], back));
    }

    @Test
    void notPositiveDefiniteIsRefusedEitherWay() {
        double[] indefinite = {1, 2, 2, 1}; // eigenvalues 3 and -1
        assertFalse(MahalanobisFactor.fromCovariance(packLower(indefinite, 2), 2));
        assertFalse(MahalanobisFactor.fromPrecision(indefinite, 2, new double[3], new double[3]));
        double[] singular = {1, 1, 1, 1};
        assertFalse(MahalanobisFactor.fromCovariance(packLower(singular, 2), 2));
        assertFalse(MahalanobisFactor.fromPrecision(singular, 2, new double[3], new double[3]));
    }
}
