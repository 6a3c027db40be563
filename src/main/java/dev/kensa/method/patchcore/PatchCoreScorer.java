package dev.kensa.method.patchcore;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.LocalPatchFeatures;
import dev.kensa.method.MethodScorer;
import dev.kensa.score.NearestNeighbours;

/**
 * PatchCore on the CPU: locally aware patch features from the layers, the exact nearest bank row of every patch
 * ({@link NearestNeighbours}, blocked GEMM form with the Vector API), and the reweighted image score.
 */
final class PatchCoreScorer implements MethodScorer {
    private final LocalPatchFeatures features;
    private final NearestNeighbours search;
    private final PatchCoreModel model;
    private final int positions;
    private final int dims;
    private float[] embedding;
    private int[] nearest;

    PatchCoreScorer(PatchCoreModel model, LocalPatchFeatures features, boolean forceScalar, int threads) {
        this.model = model;
        this.features = features;
        this.search = new NearestNeighbours(model.bank().values(), model.bank().rows(), model.bank().dims(), threads, forceScalar);
        this.positions = features.positions();
        this.dims = features.dims();
    }

    @Override
    public Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
        int n = maps.batch();
        long t0 = System.nanoTime();
        if (embedding == null || embedding.length < n * positions * dims) {
            embedding = new float[n * positions * dims];
            nearest = new int[n * positions];
        }
        features.extract(maps, embedding);
        long t1 = System.nanoTime();
        search.search(embedding, n * positions, distances, nearest);
        MemoryBank bank = model.bank();
        for (int i = 0; i < n; i++) {
            imageScores[i] = PatchCoreScoring.imageScore(embedding, i * positions * dims, distances, nearest, i * positions,
                    positions, bank.values(), bank.rows(), bank.dims(), model.neighbours(), 0, 0);
        }
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    @Override
    public String embeddingStage() {
        return "embedding";
    }

    @Override
    public String distanceStage() {
        return "nearest-neighbour";
    }

    @Override
    public String describe() {
        return "java " + search.kernel() + " nearest-neighbour over " + model.bank().rows() + " x " + dims;
    }

    @Override
    public void close() {
        search.close();
    }
}
