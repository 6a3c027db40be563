package dev.kensa.score;

/**
 * Between the Gaussian a notebook saves (covariance S or its inverse Q = S^-1, full d x d) and the factor a bundle
 * stores: W lower-triangular with W^T W = Q, so that ||W (x - mu)||^2 = (x - mu)^T Q (x - mu). All in double.
 *
 * <p>From S: S = L L^T (Cholesky), W = L^-1, as {@code kensa fit} does. From Q no inversion is needed: an ordinary
 * Cholesky factor of Q would be the wrong triangle (Q = M M^T makes M^T, upper-triangular, the factor), so Q is
 * factored with its rows and columns reversed: J Q J = M M^T with J the reversal permutation gives
 * Q = (J M J)(J M^T J), and W = J M^T J is lower-triangular with a positive diagonal. Such a factor of Q is unique,
 * so it is exactly the W that S would give. Back to a notebook, Q = W^T W is computed from the stored W without any
 * inversion either, which is why {@code bundle export} writes the inverse covariance.
 */
public final class MahalanobisFactor {
    private MahalanobisFactor() {
    }

    /**
     * W from a covariance, in place: {@code packed} holds S's lower triangle packed row-major (row i has columns
     * 0..i at offset i(i+1)/2) and is overwritten with W in the same layout.
     *
     * @return false when S is not positive definite
     */
    public static boolean fromCovariance(double[] packed, int d) {
        return Cholesky.inverseFactorInPlace(packed, d);
    }

    /**
     * W from an inverse covariance Q ({@code q}: full, row-major, symmetric; only its upper triangle is read) into
     * {@code out} (packed lower-triangular, d(d+1)/2), using {@code work} (d(d+1)/2) as scratch.
     *
     * @return false when Q is not positive definite
     */
    public static boolean fromPrecision(double[] q, int d, double[] work, double[] out) {
        // work = J Q J, lower triangle packed: (a, b) with a >= b is Q[d-1-a][d-1-b], an upper entry of Q
        for (int a = 0, row = 0; a < d; row += ++a) {
            int qi = (d - 1 - a) * d;
            for (int b = 0; b <= a; b++) {
                work[row + b] = q[qi + (d - 1 - b)];
            }
        }
        if (!Cholesky.factorInPlace(work, d)) {
            return false;
        }
        // W[i][j] = M[d-1-j][d-1-i] for i >= j
        for (int i = 0, row = 0; i < d; row += ++i) {
            for (int j = 0; j <= i; j++) {
                int a = d - 1 - j;
                out[row + j] = work[a * (a + 1) / 2 + (d - 1 - i)];
            }
        }
        return true;
    }

    /**
     * Q = W^T W of position {@code p} of {@code stats} into {@code q} (full d x d, row-major): the inverse covariance
     * the bundle scores with, whatever dtype its factor is stored in.
     */
    public static void precision(GaussianStats stats, int p, double[] q) {
        int d = stats.dims();
        int packed = GaussianStats.packedSize(d);
        long base = (long) p * packed;
        float[] f32 = stats.factor32();
        short[] f16 = stats.factor16();
        java.util.Arrays.fill(q, 0, d * d, 0.0);
        double[] w = new double[d];
        // Q = sum over rows k of W of (row k)^T (row k); row k has entries in columns 0..k
        for (int k = 0, row = 0; k < d; row += ++k) {
            for (int j = 0; j <= k; j++) {
                int at = (int) (base + row + j);
                w[j] = f32 != null ? f32[at] : HalfFloat.toFloat(f16[at]);
            }
            for (int i = 0; i <= k; i++) {
                double wi = w[i];
                int qi = i * d;
                for (int j = 0; j <= i; j++) {
                    q[qi + j] += wi * w[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                q[j * d + i] = q[i * d + j];
            }
        }
    }
}
