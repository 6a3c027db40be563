package dev.kensa.method.padim;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.method.MethodScorer;
import dev.kensa.score.MahalanobisScorer;

import java.util.Arrays;

/**
 * PaDiM on the CPU: the bundle's d channels gathered from the layers (nearest upsampling folded into the indexing),
 * then the per-patch Mahalanobis distance with a Java kernel (Vector API, or its scalar twin). The image score is
 * left to the shared post-processing (max of the smoothed map).
 */
final class PadimScorer implements MethodScorer {
    private final EmbeddingExtractor gather;
    private final MahalanobisScorer kernel;
    private final int positions;
    private final int dims;
    private float[] embedding;

    /** Takes ownership of {@code kernel}. */
    PadimScorer(int[] channels, MahalanobisScorer kernel, int positions) {
        this.gather = new EmbeddingExtractor(channels);
        this.kernel = kernel;
        this.positions = positions;
        this.dims = channels.length;
    }

    @Override
    public Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
        int n = maps.batch();
        long t0 = System.nanoTime();
        int need = n * positions * dims;
        if (embedding == null || embedding.length < need) {
            embedding = new float[need];
        }
        gather.extract(maps, embedding);
        long t1 = System.nanoTime();
        kernel.score(embedding, n, distances);
        Arrays.fill(imageScores, 0, n, Double.NaN);
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    @Override
    public String embeddingStage() {
        return "gather";
    }

    @Override
    public String distanceStage() {
        return "mahalanobis";
    }

    @Override
    public String describe() {
        return kernel.describe();
    }

    @Override
    public void close() {
        kernel.close();
    }
}
