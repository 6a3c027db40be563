package dev.kensa.method.padim;

import dev.kensa.KensaException;
import dev.kensa.score.Cholesky;
import dev.kensa.score.GaussianStats;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Turns accumulated moments into PaDiM statistics (../shared/DESIGN.md §4): mu_p, S_p = unbiased covariance + eps*I,
 * S_p = L_p L_p^T by Cholesky, W_p = L_p^-1 by forward substitution, all in double, parallel over positions.
 */
public final class GaussianFit {
    private GaussianFit() {
    }

    /** Statistics of all images in {@code include} minus those in {@code exclude} (for k-fold models). */
    public static GaussianStats fit(List<GaussianAccumulator> include, List<GaussianAccumulator> exclude,
                                    int gridHeight, int gridWidth, double eps) {
        return fit(include, exclude, gridHeight, gridWidth, eps, 1);
    }

    /**
     * As {@link #fit(List, List, int, int, double)} with the scatter divided by n - {@code dof} instead of n - 1: with
     * dof = 2 this is A = C / (n - 2) + eps I, the matrix whose rank-one downdate is the covariance of the n - 1
     * images left when one is removed (leave-one-out, {@link LeaveOneOut}).
     */
    static GaussianStats fit(List<GaussianAccumulator> include, List<GaussianAccumulator> exclude,
                             int gridHeight, int gridWidth, double eps, int dof) {
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
        if (n < 1 + dof) {
            throw new KensaException("need at least " + (1 + dof) + " images to estimate a covariance, have " + n);
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
            // (unbiased, for dof = 1) covariance of the shifted data (a shift does not change covariance) + eps I
            for (int i = 0, row = 0; i < d; row += ++i) {
                for (int j = 0; j <= i; j++) {
                    c[row + j] = (c[row + j] - count * m[i] * m[j]) / (count - dof);
                }
                c[row + i] += eps;
            }
            if (!Cholesky.factorInPlace(c, d)) {
                throw new KensaException("covariance at patch " + p + " is not positive definite (eps=" + eps + ")");
            }
            Cholesky.invertLowerInPlace(c, d);
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
}
