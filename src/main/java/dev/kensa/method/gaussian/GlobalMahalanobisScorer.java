package dev.kensa.method.gaussian;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.GlobalAveragePool;
import dev.kensa.method.MethodScorer;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorer;

/** Global average pooling of the layers, then the Mahalanobis distance of the pooled vector: the image score. */
final class GlobalMahalanobisScorer implements MethodScorer {
    private final GaussianStats stats;
    private final MahalanobisScorer kernel;
    private float[] pooled;
    private float[] distance;

    GlobalMahalanobisScorer(GaussianStats stats, MahalanobisScorer kernel) {
        this.stats = stats;
        this.kernel = kernel;
    }

    @Override
    public Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
        int n = maps.batch();
        long t0 = System.nanoTime();
        if (pooled == null || pooled.length < n * stats.dims()) {
            pooled = new float[n * stats.dims()];
            distance = new float[n];
        }
        GlobalAveragePool.extract(maps, pooled);
        long t1 = System.nanoTime();
        kernel.score(pooled, n, distance);
        for (int i = 0; i < n; i++) {
            imageScores[i] = distance[i];
        }
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    @Override
    public String embeddingStage() {
        return "pooling";
    }

    @Override
    public String distanceStage() {
        return "mahalanobis";
    }

    @Override
    public String describe() {
        return "global " + kernel.describe();
    }

    @Override
    public void close() {
        kernel.close();
    }
}
