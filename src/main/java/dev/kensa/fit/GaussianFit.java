package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.score.GaussianStats;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Turns accumulated moments into PaDiM statistics (DESIGN.md §4): mu_p, S_p = unbiased covariance + eps*I,
 * S_p = L_p L_p^T by Cholesky, W_p = L_p^-1 by forward substitution, all in double, parallel over positions.
 */
public final class GaussianFit {
    public static final double DEFAULT_EPS = 0.01;

    private GaussianFit() {
    }

    /** Statistics of all images in {@code include} minus those in {@code exclude} (for k-fold models). */
    public static GaussianStats fit(List<GaussianAccumulator> include, List<GaussianAccumulator> exclude,
                                    int gridHeight, int gridWidth, double eps) {
        GaussianAccumulator first = include.get(0);
        int positions = first.positions();
        int d = first.dims();
        int packed = d * (d + 1) / 2;
        int n = 0;
        for (GaussianAccumulator a : include) {
            n += a.count();
        }
        for (GaussianAccumulator a : exclude) {
            n -= a.count();
        }
        if (n < 2) {
            throw new KensaException("need at least 2 images to estimate a covariance, have " + n);
        }
        final int count = n;
        float[] mean = new float[positions * d];
        float[] factor = new float[Math.multiplyExact(positions, packed)];
        float[] shift = first.shift();
        IntStream.range(0, positions).parallel().forEach(p -> {
            double[] m = new double[d];
            double[] c = new double[packed];
            for (GaussianAccumulator a : include) {
                addInto(a, p, d, packed, m, c, 1);
            }
            for (GaussianAccumulator a : exclude) {
                addInto(a, p, d, packed, m, c, -1);
            }
            for (int i = 0; i < d; i++) {
                m[i] /= count;
            }
            // unbiased covariance of the shifted data (a shift does not change covariance) + eps I
            for (int i = 0, row = 0; i < d; row += ++i) {
                for (int j = 0; j <= i; j++) {
                    c[row + j] = (c[row + j] - count * m[i] * m[j]) / (count - 1);
                }
                c[row + i] += eps;
            }
            if (!choleskyInPlace(c, d)) {
                throw new KensaException("covariance at patch " + p + " is not positive definite (eps=" + eps + ")");
            }
            invertLowerInPlace(c, d);
            int mo = p * d;
            for (int i = 0; i < d; i++) {
                mean[mo + i] = (float) (shift[mo + i] + m[i]);
            }
            int fo = p * packed;
            for (int i = 0; i < packed; i++) {
                factor[fo + i] = (float) c[i];
            }
        });
        return GaussianStats.ofFloat32(gridHeight, gridWidth, d, mean, factor);
    }

    private static void addInto(GaussianAccumulator a, int p, int d, int packed, double[] m, double[] c, int sign) {
        double[] sum = a.sum();
        float[] cross = a.cross();
        int so = p * d;
        for (int i = 0; i < d; i++) {
            m[i] += sign * sum[so + i];
        }
        int co = p * packed;
        for (int i = 0; i < packed; i++) {
            c[i] += sign * (double) cross[co + i];
        }
    }

    /**
     * Cholesky factorisation of a packed symmetric matrix (lower triangle, row-major) in place: A = L L^T.
     *
     * @return false when A is not positive definite
     */
    static boolean choleskyInPlace(double[] a, int d) {
        for (int i = 0; i < d; i++) {
            int ri = i * (i + 1) / 2;
            for (int j = 0; j <= i; j++) {
                int rj = j * (j + 1) / 2;
                double s = a[ri + j];
                for (int k = 0; k < j; k++) {
                    s -= a[ri + k] * a[rj + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        return false;
                    }
                    a[ri + i] = Math.sqrt(s);
                } else {
                    a[ri + j] = s / a[rj + j];
                }
            }
        }
        return true;
    }

    /** Inverts a packed lower-triangular matrix in place (the inverse is lower-triangular too). */
    static void invertLowerInPlace(double[] l, int d) {
        // column by column: solve L x = e_j for x = column j of L^-1 (rows j..d-1). That reads L's columns j..d-1
        // only, so going j = 0, 1, ... and writing column j back after its solve never reads an overwritten entry.
        double[] x = new double[d];
        for (int j = 0; j < d; j++) {
            for (int i = j; i < d; i++) {
                int ri = i * (i + 1) / 2;
                double s = i == j ? 1.0 : 0.0;
                for (int k = j; k < i; k++) {
                    s -= l[ri + k] * x[k];
                }
                x[i] = s / l[ri + i];
            }
            for (int i = j; i < d; i++) {
                l[i * (i + 1) / 2 + j] = x[i];
            }
        }
    }
}
