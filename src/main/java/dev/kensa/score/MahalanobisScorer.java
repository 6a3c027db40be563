package dev.kensa.score;

/**
 * The scoring seam: per-patch Mahalanobis distance of embeddings against the bundle's Gaussian statistics.
 * Vectorised Java on CPU, a fused CUDA kernel on GPU.
 */
public interface MahalanobisScorer extends AutoCloseable {

    /**
     * @param embeddings [batch][P][d] row-major
     * @param distances  [batch][P] output: d_p = || W_p (x_p - mu_p) ||_2
     */
    void score(float[] embeddings, int batch, float[] distances);

    String describe();

    /** Both CPU kernels refuse buffers too small for the batch the same way. */
    static void checkBuffers(GaussianStats stats, float[] embeddings, int batch, float[] distances) {
        int positions = stats.positions();
        if (embeddings.length < batch * positions * stats.dims() || distances.length < batch * positions) {
            throw new IllegalArgumentException("buffers too small for batch " + batch);
        }
    }

    @Override
    default void close() {
    }
}
