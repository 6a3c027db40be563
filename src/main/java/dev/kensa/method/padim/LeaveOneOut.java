package dev.kensa.method.padim;

/**
 * Exact leave-one-out PaDiM distances from one fit (Sherman-Morrison on the regularised covariance).
 *
 * <p>At one patch position, with n images, mean m and scatter C = sum (x_j - m)(x_j - m)^T, the model without image
 * i has mean m' = m - u / (n - 1) and covariance S' = C' / (n - 2) + eps I with C' = C - n / (n - 1) u u^T, where
 * u = x_i - m. So S' = A - c u u^T with A = C / (n - 2) + eps I and c = n / ((n - 1)(n - 2)), and x_i - m' =
 * n / (n - 1) u. Sherman-Morrison gives, with q = u^T A^-1 u,
 * <pre>
 *   d_LOO^2 = (n / (n - 1))^2 * q / (1 - c q)
 * </pre>
 * q is the squared Mahalanobis distance of x_i under (m, A): one Cholesky fit of A per position (the same cost as
 * the model's own fit) and one scoring pass over the training embeddings give every image's exact out-of-sample
 * distance, where k-fold refits k models on (k-1)/k of the images and so scores each image with a model of fewer
 * images than the deployed one (a bias that grows with d / n).
 */
final class LeaveOneOut {
    private LeaveOneOut() {
    }

    /**
     * @param sqrtQ the Mahalanobis distance of the image under (m, A), i.e. sqrt(q)
     * @param n     images in the full fit
     * @return the image's distance under the model of the other n - 1 images
     */
    static double distance(double sqrtQ, int n) {
        double q = sqrtQ * sqrtQ;
        double c = n / ((n - 1.0) * (n - 2.0));
        // 1 - c q > 0 whenever S' is positive definite (always, with eps > 0); guard against rounding at the edge
        double denominator = Math.max(1 - c * q, 1e-12);
        return n / (n - 1.0) * Math.sqrt(q / denominator);
    }
}
