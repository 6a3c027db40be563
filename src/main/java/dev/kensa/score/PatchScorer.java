package dev.kensa.score;

/**
 * The scoring seam: per-patch Mahalanobis distance of embeddings against the bundle's Gaussian statistics.
 * Vectorised Java on CPU, a fused CUDA kernel on GPU.
 */
public interface PatchScorer extends AutoCloseable {

    /**
     * @param embeddings [batch][P][d] row-major
     * @param distances  [batch][P] output: d_p = || W_p (x_p - mu_p) ||_2
     */
    void score(float[] embeddings, int batch, float[] distances);

    String describe();

    @Override
    default void close() {
    }
}
