package dev.kensa.method.gaussian;

import dev.kensa.KensaException;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import dev.kensa.embedding.GlobalAveragePool;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.score.Cholesky;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorer;
import dev.kensa.score.MahalanobisScorers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The global Mahalanobis fit: one pooled vector per image (448 floats: all images fit in memory), then the mean and
 * Ledoit-Wolf covariance. Held-out scores refit on the other images (exact leave-one-out, or k-fold): each refit is a
 * D x D covariance and a Cholesky, a fraction of a second.
 */
final class GlobalMahalanobisFitter implements MethodFitter {
    private final FitContext context;
    private final List<String> layers;
    private final int dims;
    private final float[] pooled;
    private float[] batch;
    private GlobalMahalanobisModel model;

    GlobalMahalanobisFitter(FitContext context) {
        this.context = context;
        this.layers = context.layers().stream().map(LayerShape::name).toList();
        this.dims = LayerShape.totalChannels(context.layers());
        this.pooled = new float[context.images() * dims];
    }

    @Override
    public void add(FeatureMaps maps, int[] imageIndices) {
        int n = maps.batch();
        if (batch == null || batch.length < n * dims) {
            batch = new float[n * dims];
        }
        GlobalAveragePool.extract(maps, batch);
        for (int slot = 0; slot < n; slot++) {
            System.arraycopy(batch, slot * dims, pooled, imageIndices[slot] * dims, dims);
        }
    }

    @Override
    public MethodModel finish() {
        LedoitWolf.Estimate e = LedoitWolf.estimate(pooled, context.images(), dims, null);
        model = new GlobalMahalanobisModel(layers, stats(e), e.shrinkage());
        return model;
    }

    private GaussianStats stats(LedoitWolf.Estimate e) {
        double[] w = e.covariance().clone();
        if (!Cholesky.inverseFactorInPlace(w, dims)) {
            throw new KensaException("mahalanobis: the shrunk covariance is not positive definite (shrinkage "
                    + e.shrinkage() + "); are the training images all identical?");
        }
        float[] mean = new float[dims];
        for (int j = 0; j < dims; j++) {
            mean[j] = (float) e.mean()[j];
        }
        float[] factor = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            factor[i] = (float) w[i];
        }
        return GaussianStats.ofFloat32(1, 1, dims, mean, factor);
    }

    @Override
    public HeldOutScores heldOut(IntConsumer progress) {
        HeldOutPlan plan = context.heldOut();
        int n = context.images();
        int[] groupOf = plan.mode() == HeldOutPlan.Mode.LOO ? IntStream.range(0, n).toArray() : folds(n, plan.folds());
        int groups = plan.mode() == HeldOutPlan.Mode.LOO ? n : plan.folds();
        double[] scores = new double[n];
        for (int g = 0; g < groups; g++) {
            int group = g;
            int[] rest = IntStream.range(0, n).filter(i -> groupOf[i] != group).toArray();
            int[] held = IntStream.range(0, n).filter(i -> groupOf[i] == group).toArray();
            GaussianStats stats = stats(LedoitWolf.estimate(pooled, n, dims, rest));
            float[] x = new float[held.length * dims];
            for (int i = 0; i < held.length; i++) {
                System.arraycopy(pooled, held[i] * dims, x, i * dims, dims);
            }
            float[] d = new float[held.length];
            try (MahalanobisScorer scorer = MahalanobisScorers.cpu(stats, context.threads())) {
                scorer.score(x, held.length, d);
            }
            for (int i = 0; i < held.length; i++) {
                scores[held[i]] = d[i];
            }
            progress.accept(held.length);
        }
        String source = plan.mode() == HeldOutPlan.Mode.LOO ? "loo(" + n + " good, exact)"
                : "kfold-oof(k=" + plan.folds() + ", " + n + " good)";
        return new HeldOutScores(scores, source);
    }

    private int[] folds(int n, int k) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(context.options().seed() ^ 0x5DEECE66DL));
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[order.get(i)] = i % k;
        }
        return fold;
    }

    @Override
    public void close() {
        // nothing on disk
    }
}
