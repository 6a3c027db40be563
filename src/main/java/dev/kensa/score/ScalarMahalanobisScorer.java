package dev.kensa.score;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Mahalanobis distance on the CPU through the packed inverse-Cholesky factor: y = W_p (x - mu_p), d = ||y||.
 * Parallel over patch positions; inside a position the batch is the inner loop so each factor (20 KB at d=100,
 * float32) is read from memory once per batch and then served from cache.
 */
public final class ScalarMahalanobisScorer implements MahalanobisScorer {
    private final GaussianStats stats;
    private final ForkJoinPool pool;
    private final int chunk;

    public ScalarMahalanobisScorer(GaussianStats stats, int threads) {
        this.stats = stats;
        this.pool = new ForkJoinPool(Math.max(1, threads));
        this.chunk = 64;
    }

    @Override
    public void score(float[] embeddings, int batch, float[] distances) {
        MahalanobisScorer.checkBuffers(stats, embeddings, batch, distances);
        int positions = stats.positions();
        int d = stats.dims();
        int chunks = (positions + chunk - 1) / chunk;
        Runnable work = () -> IntStream.range(0, chunks).parallel().forEach(c -> {
            float[] diff = new float[d];
            int end = Math.min(positions, (c + 1) * chunk);
            for (int p = c * chunk; p < end; p++) {
                for (int n = 0; n < batch; n++) {
                    distances[n * positions + p] = (float) Math.sqrt(
                            squaredDistance(stats, p, embeddings, (n * positions + p) * d, diff));
                }
            }
        });
        pool.submit(work).join();
    }

    /** Squared Mahalanobis distance of the embedding at {@code offset} to position p, in double accumulation per row. */
    static double squaredDistance(GaussianStats stats, int p, float[] x, int offset, float[] diff) {
        int d = stats.dims();
        float[] mean = stats.mean();
        int mo = p * d;
        for (int i = 0; i < d; i++) {
            diff[i] = x[offset + i] - mean[mo + i];
        }
        int packed = GaussianStats.packedSize(d);
        int wo = p * packed;
        double sum = 0;
        float[] w32 = stats.factor32();
        if (w32 != null) {
            for (int i = 0, row = wo; i < d; row += ++i) {
                float y = 0;
                for (int j = 0; j <= i; j++) {
                    y += w32[row + j] * diff[j];
                }
                sum += (double) y * y;
            }
        } else {
            short[] w16 = stats.factor16();
            for (int i = 0, row = wo; i < d; row += ++i) {
                float y = 0;
                for (int j = 0; j <= i; j++) {
                    y += HalfFloat.toFloat(w16[row + j]) * diff[j];
                }
                sum += (double) y * y;
            }
        }
        return sum;
    }

    @Override
    public String describe() {
        return "cpu-java (" + pool.getParallelism() + " threads, " + stats.dtype().name().toLowerCase() + ")";
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
