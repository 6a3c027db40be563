package dev.kensa.method.gaussian;

/**
 * Ledoit-Wolf shrinkage of a sample covariance (Ledoit and Wolf 2004, the estimator scikit-learn's
 * {@code LedoitWolf} implements): S* = (1 - a) S + a mu I with S the maximum-likelihood covariance (divided by n),
 * mu = trace(S) / D and the shrinkage a in [0, 1] chosen to minimise the expected squared error. With a few hundred
 * images and hundreds of dimensions S is singular or nearly so; the shrunk estimate is well conditioned.
 */
final class LedoitWolf {
    private LedoitWolf() {
    }

    /**
     * @param x     rows [n][dims] (not centred)
     * @param rows  which rows to use (null: all n)
     * @return the mean, the shrunk covariance packed lower-triangular row-major, and the shrinkage
     */
    static Estimate estimate(float[] x, int n, int dims, int[] rows) {
        int[] use = rows != null ? rows : java.util.stream.IntStream.range(0, n).toArray();
        int m = use.length;
        double[] mean = new double[dims];
        for (int r : use) {
            for (int j = 0; j < dims; j++) {
                mean[j] += x[r * dims + j];
            }
        }
        for (int j = 0; j < dims; j++) {
            mean[j] /= m;
        }
        double[][] c = new double[m][dims];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < dims; j++) {
                c[i][j] = x[use[i] * dims + j] - mean[j];
            }
        }
        // S = X^T X / m (full, for the shrinkage sums), and the sums of squares X2^T X2
        double[] s = new double[dims * dims];
        double[] s2 = new double[dims * dims];
        for (int i = 0; i < m; i++) {
            double[] row = c[i];
            for (int a = 0; a < dims; a++) {
                double ra = row[a];
                double ra2 = ra * ra;
                int o = a * dims;
                for (int b = 0; b <= a; b++) {
                    s[o + b] += ra * row[b];
                    s2[o + b] += ra2 * row[b] * row[b];
                }
            }
        }
        double trace = 0;
        for (int a = 0; a < dims; a++) {
            trace += s[a * dims + a] / m;
        }
        double mu = trace / dims;
        // sklearn's ledoit_wolf_shrinkage: beta_ = sum(X2^T X2), delta_ = sum((X^T X)^2) / n^2
        double betaSum = 0;
        double deltaSum = 0;
        for (int a = 0; a < dims; a++) {
            for (int b = 0; b <= a; b++) {
                double weight = a == b ? 1 : 2;
                betaSum += weight * s2[a * dims + b];
                double sab = s[a * dims + b];
                deltaSum += weight * sab * sab;
            }
        }
        deltaSum /= (double) m * m;
        double beta = (betaSum / m - deltaSum) / ((double) dims * m);
        double delta = (deltaSum - 2 * mu * trace + dims * mu * mu) / dims;
        beta = Math.min(beta, delta);
        double shrinkage = beta == 0 ? 0 : beta / delta;
        double[] packed = new double[dims * (dims + 1) / 2];
        for (int a = 0, row = 0; a < dims; row += ++a) {
            for (int b = 0; b <= a; b++) {
                double v = (1 - shrinkage) * s[a * dims + b] / m;
                if (a == b) {
                    v += shrinkage * mu;
                }
                packed[row + b] = v;
            }
        }
        return new Estimate(mean, packed, shrinkage);
    }

    /** @param covariance packed lower triangle, row-major */
    record Estimate(double[] mean, double[] covariance, double shrinkage) {
    }
}
