package dev.kensa.score;

/**
 * Cholesky factorisation and triangular inverse of packed symmetric matrices (lower triangle, row-major: row i holds
 * columns 0..i at offset i(i+1)/2), in double: the Mahalanobis models' inverse factor W = L^-1 of S = L L^T.
 */
public final class Cholesky {
    private Cholesky() {
    }

    /**
     * Cholesky factorisation of a packed symmetric matrix (lower triangle, row-major) in place: A = L L^T.
     *
     * @return false when A is not positive definite
     */
    public static boolean factorInPlace(double[] a, int d) {
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
    public static void invertLowerInPlace(double[] l, int d) {
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

    /** W = L^-1 of a packed symmetric positive definite matrix, in place; false when it is not positive definite. */
    public static boolean inverseFactorInPlace(double[] a, int d) {
        if (!factorInPlace(a, d)) {
            return false;
        }
        invertLowerInPlace(a, d);
        return true;
    }
}
