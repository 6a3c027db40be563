package dev.kensa.method.padim;

import dev.kensa.KensaException;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.SpillFile;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorer;
import dev.kensa.score.MahalanobisScorers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * PaDiM's streaming fit: each image's embedding goes into k fold accumulators of first and second moments (never
 * all N x P x d in memory). The full model is all folds together; fold f's out-of-fold model is all minus fold f, so
 * k-fold calibration costs k extra Cholesky fits, not k extra passes through the backbone. Leave-one-out needs one
 * accumulator and one extra fit ({@link LeaveOneOut}). For either, the embeddings are spilled to a temporary file
 * (P x d floats, 1.25 MB per image at d = 100) and read back for scoring; {@link #close()} deletes it.
 */
final class PadimFitter implements MethodFitter {
    private final FitContext context;
    private final List<String> layers;
    private final int sourceChannels;
    private final int[] channels;
    private final EmbeddingExtractor gather;
    private final int gridHeight;
    private final int gridWidth;
    private final int positions;
    private final int dims;
    private final int[] foldOf;
    private final GaussianAccumulator[] acc;
    private final SpillFile spill;
    private float[] embedding;
    private GaussianStats full;

    PadimFitter(FitContext context) {
        this.context = context;
        List<LayerShape> shapes = context.layers();
        this.layers = shapes.stream().map(LayerShape::name).toList();
        this.sourceChannels = LayerShape.totalChannels(shapes);
        int d = context.options().dims();
        if (d <= 0 || d > sourceChannels) {
            throw new KensaException("d must be in 1.." + sourceChannels + " (the channels of " + String.join("+", layers)
                    + "), got " + d);
        }
        LayerShape first = shapes.get(0);
        for (LayerShape l : shapes) {
            if (first.height() % l.height() != 0 || first.width() % l.width() != 0) {
                throw new KensaException("layer " + l.name() + " (" + l.height() + "x" + l.width()
                        + ") does not divide the grid of " + first.name() + " (" + first.height() + "x" + first.width() + ")");
            }
        }
        this.channels = chooseChannels(sourceChannels, d, context.options().seed());
        this.gather = new EmbeddingExtractor(channels);
        this.gridHeight = first.height();
        this.gridWidth = first.width();
        this.positions = gridHeight * gridWidth;
        this.dims = d;
        HeldOutPlan plan = context.heldOut();
        int k = plan != null && plan.mode() == HeldOutPlan.Mode.KFOLD ? plan.folds() : 1;
        this.foldOf = HeldOutPlan.assignFolds(context.images(), k, context.options().seed());
        this.acc = new GaussianAccumulator[k];
        this.spill = plan == null ? null : SpillFile.create("kensa-padim-", positions * d, 0, "padim: embeddings");
    }

    @Override
    public void add(FeatureMaps maps, int[] imageIndices) {
        int n = maps.batch();
        int length = positions * dims;
        if (embedding == null || embedding.length < n * length) {
            embedding = new float[n * length];
        }
        gather.extract(maps, embedding);
        for (int slot = 0; slot < n; slot++) {
            int offset = slot * length;
            if (acc[0] == null) {
                // the first image is the shift of every accumulator (see GaussianAccumulator)
                float[] shift = Arrays.copyOfRange(embedding, offset, offset + length);
                for (int f = 0; f < acc.length; f++) {
                    acc[f] = new GaussianAccumulator(positions, dims, shift);
                }
            }
            acc[foldOf[imageIndices[slot]]].add(embedding, offset, 1);
            if (spill != null) {
                spill.write(imageIndices[slot], embedding, offset);
            }
        }
    }

    @Override
    public MethodModel finish() {
        full = finish(GaussianFit.fit(List.of(acc), List.of(), gridHeight, gridWidth, context.options().eps()));
        return new PadimModel(layers, sourceChannels, channels, context.options().seed(), full, context.options().eps());
    }

    private GaussianStats finish(GaussianStats stats) {
        return context.options().float16() ? stats.toFloat16() : stats;
    }

    @Override
    public HeldOutScores heldOut(IntConsumer progress) {
        HeldOutPlan plan = context.heldOut();
        if (plan == null || spill == null) {
            throw new IllegalStateException("held-out scores need a plan at construction");
        }
        int n = foldOf.length;
        return switch (plan.mode()) {
            case KFOLD -> new HeldOutScores(outOfFold(progress), "kfold-oof(k=" + acc.length + ", " + n + " good)");
            case LOO -> new HeldOutScores(leaveOneOut(progress), "loo(" + n + " good, exact)");
        };
    }

    private double[] outOfFold(IntConsumer progress) {
        double[] scores = new double[foldOf.length];
        for (int f = 0; f < acc.length; f++) {
            GaussianStats stats = finish(GaussianFit.fit(List.of(acc), List.of(acc[f]), gridHeight, gridWidth,
                    context.options().eps()));
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < foldOf.length; i++) {
                if (foldOf[i] == f) {
                    members.add(i);
                }
            }
            try (MahalanobisScorer scorer = MahalanobisScorers.cpu(stats, context.threads())) {
                scoreSpilled(members, scorer, (index, distances, offset) -> scores[index] = context.mapScore().score(distances, offset), progress);
            }
        }
        return scores;
    }

    /** Exact leave-one-out scores: see {@link LeaveOneOut}. */
    private double[] leaveOneOut(IntConsumer progress) {
        int n = foldOf.length;
        GaussianStats a = finish(GaussianFit.fit(List.of(acc), List.of(), gridHeight, gridWidth, context.options().eps(), 2));
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        double[] scores = new double[n];
        float[] looMap = new float[positions];
        try (MahalanobisScorer scorer = MahalanobisScorers.cpu(a, context.threads())) {
            scoreSpilled(all, scorer, (index, distances, offset) -> {
                for (int p = 0; p < positions; p++) {
                    looMap[p] = (float) LeaveOneOut.distance(distances[offset + p], n);
                }
                scores[index] = context.mapScore().score(looMap, 0);
            }, progress);
        }
        return scores;
    }

    private interface Sink {
        void accept(int imageIndex, float[] distances, int offset);
    }

    /** Reads the spilled embeddings of {@code images} back in batches, scores them and hands each map to the sink. */
    private void scoreSpilled(List<Integer> images, MahalanobisScorer scorer, Sink sink, IntConsumer progress) {
        int length = positions * dims;
        int batch = 8;
        float[] emb = new float[batch * length];
        float[] distances = new float[batch * positions];
        for (int s = 0; s < images.size(); s += batch) {
            int n = Math.min(batch, images.size() - s);
            for (int j = 0; j < n; j++) {
                spill.read(images.get(s + j), emb, j * length);
            }
            scorer.score(emb, n, distances);
            for (int j = 0; j < n; j++) {
                sink.accept(images.get(s + j), distances, j * positions);
            }
            progress.accept(n);
        }
    }

    /** d channels of {@code total}, drawn by a seeded shuffle, ascending. */
    static int[] chooseChannels(int total, int dims, long seed) {
        int[] all = new int[total];
        for (int i = 0; i < total; i++) {
            all[i] = i;
        }
        Random r = new Random(seed);
        for (int i = total - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] kept = Arrays.copyOf(all, dims);
        Arrays.sort(kept);
        return kept;
    }

    @Override
    public void close() {
        if (spill != null) {
            spill.close();
        }
    }
}
