package dev.kensa.method.patchcore;

import dev.kensa.KensaException;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import dev.kensa.embedding.LocalPatchFeatures;
import dev.kensa.method.FitContext;
import dev.kensa.method.Grid;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.SpillFile;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodOptions;
import dev.kensa.score.KCenterCoreset;
import dev.kensa.score.NearestNeighbours;
import dev.kensa.score.RandomProjection;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * PatchCore's fit with bounded memory. Every training patch's feature (N x P x D float32: 250 MB for 209 images x 784
 * patches x 384 dims) is spilled to a temporary file as it arrives; in memory stays only its random projection to
 * {@code projectionDims} (128: a third of it), on which the greedy k-center coreset is selected. The selected rows are
 * then read back from the file into the memory bank. A bank over {@code maxBankBytes}, or a projection that would not
 * fit the heap, is refused before the first image is read, with a one-line error.
 *
 * <p>Held-out scores for the threshold: {@code loo} scores each training image against the bank without the rows
 * that came from that image (one coreset; the coreset was chosen with the image present, so this approximates a bank
 * of the other images); {@code kfold} selects a separate coreset per fold from the other folds' patches (k extra
 * selections: exact, k times the cost).
 */
final class PatchCoreFitter implements MethodFitter {
    /** Local neighbourhood of the patch features (3x3, as the paper and anomalib). */
    static final int POOL = 3;

    private final FitContext context;
    private final MethodOptions options;
    private final List<String> layers;
    private final Grid grid;
    private final LocalPatchFeatures features;
    private final int positions;
    private final int dims;
    private final int images;
    private final RandomProjection projection;
    private final float[] projected;   // [N * P][k]
    private final SpillFile spill;   // [N * P][D] float32
    private final boolean[] added;
    private float[] embedding;
    private PatchCoreModel model;
    /** Bank rows are ordered by training image: image i's rows are [imageStart[i], imageStart[i + 1]). */
    private int[] imageStart;

    PatchCoreFitter(FitContext context) {
        this.context = context;
        this.options = context.options();
        List<LayerShape> shapes = context.layers();
        this.layers = shapes.stream().map(LayerShape::name).toList();
        LayerShape first = shapes.get(0);
        this.grid = new Grid(first.height(), first.width());
        this.features = new LocalPatchFeatures(shapes, POOL);
        this.positions = features.positions();
        this.dims = features.dims();
        this.images = context.images();
        double ratio = options.coresetRatio();
        if (!(ratio > 0 && ratio <= 1)) {
            throw new KensaException("patchcore: coreset ratio must be in (0, 1], got " + ratio);
        }
        if (options.neighbours() < 1) {
            throw new KensaException("patchcore: neighbours must be at least 1, got " + options.neighbours());
        }
        long patches = (long) images * positions;
        long bankBytes = patches * dims * 4;
        if (bankBytes > options.maxBankBytes()) {
            throw new KensaException(String.format("patchcore: the full patch bank of %d images would be %d x %d x %d float32"
                            + " = %d MB, over the limit of %d MB (--max-bank-mb); fit on fewer images or raise the limit",
                    images, images, positions, dims, bankBytes >> 20, options.maxBankBytes() >> 20));
        }
        int k = Math.min(options.projectionDims(), dims);
        long projectedBytes = patches * k * 4;
        long free = Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        if (patches * k > Integer.MAX_VALUE - 8 || projectedBytes > free * 3 / 4) {
            throw new KensaException(String.format("patchcore: selecting the coreset of %d patches needs %d MB of heap for"
                            + " their %d-dim projection, and %d MB are free; give the JVM more (-Xmx) or fit on fewer images",
                    patches, projectedBytes >> 20, k, free >> 20));
        }
        this.projection = new RandomProjection(dims, k, options.seed() ^ 0x9E3779B97F4A7C15L);
        this.projected = new float[(int) (patches * k)];
        this.added = new boolean[images];
        this.spill = SpillFile.create("kensa-patchcore-", positions * dims, bankBytes, "patchcore: patch features");
    }

    @Override
    public void add(FeatureMaps maps, int[] imageIndices) {
        int n = maps.batch();
        int length = positions * dims;
        if (embedding == null || embedding.length < n * length) {
            embedding = new float[n * length];
        }
        features.extract(maps, embedding);
        int k = projection.outDims();
        for (int slot = 0; slot < n; slot++) {
            int image = imageIndices[slot];
            spill.write(image, embedding, slot * length);
            projection.project(embedding, slot * length, positions, projected, image * positions * k);
            added[image] = true;
        }
    }

    @Override
    public MethodModel finish() {
        for (int i = 0; i < images; i++) {
            if (!added[i]) {
                throw new IllegalStateException("training image " + i + " was never added");
            }
        }
        int[] rows = allRows(null);
        int[] selected = select(rows);
        BankRows bank = readRows(selected);
        imageStart = bank.imageStart();
        model = new PatchCoreModel(layers, grid, POOL, options.neighbours(),
                options.float16() ? bank.bank().toFloat16() : bank.bank(), options.coresetRatio(), projection.outDims(),
                options.seed(), (long) images * positions);
        return model;
    }

    /** The coreset of the given patch rows (indices into [N * P]), in selection order. */
    private int[] select(int[] rows) {
        int k = projection.outDims();
        int count = (int) Math.max(1, Math.min(rows.length, Math.round(options.coresetRatio() * rows.length)));
        float[] points;
        if (rows.length == images * positions) {
            points = projected;
        } else {
            points = new float[rows.length * k];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(projected, rows[i] * k, points, i * k, k);
            }
        }
        IntConsumer bar = context.progress().start("coreset", count);
        int[] picked = KCenterCoreset.select(points, rows.length, k, count, options.seed(), context.threads(), bar);
        int[] out = new int[picked.length];
        for (int i = 0; i < picked.length; i++) {
            out[i] = rows[picked[i]];
        }
        return out;
    }

    /** Patch rows of every image, or of the images not in {@code skipFold} of the fold assignment. */
    private int[] allRows(boolean[] skip) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            if (skip != null && skip[i]) {
                continue;
            }
            for (int p = 0; p < positions; p++) {
                rows.add(i * positions + p);
            }
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    /** @param imageStart bank rows of training image i are [imageStart[i], imageStart[i + 1]) */
    private record BankRows(MemoryBank bank, int[] imageStart) {
    }

    /** Reads the selected patch rows back from the spill file, ordered by training image. */
    private BankRows readRows(int[] selected) {
        int[] sorted = selected.clone();
        Arrays.sort(sorted);
        float[] values = new float[sorted.length * dims];
        int[] start = new int[images + 1];
        ByteBuffer row = ByteBuffer.allocateDirect(dims * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < sorted.length; r++) {
            spill.readFloats((long) sorted[r] * dims, values, r * dims, dims, row);
            start[sorted[r] / positions + 1]++;
        }
        for (int i = 0; i < images; i++) {
            start[i + 1] += start[i];
        }
        return new BankRows(new MemoryBank(values, sorted.length, dims, false), start);
    }

    @Override
    public HeldOutScores heldOut(IntConsumer progress) {
        HeldOutPlan plan = context.heldOut();
        if (plan == null || model == null) {
            throw new IllegalStateException("held-out scores need a plan and a finished model");
        }
        return switch (plan.mode()) {
            case LOO -> new HeldOutScores(leaveOneImageOut(progress),
                    "loo(" + images + " good, own patches left out of the bank)");
            case KFOLD -> new HeldOutScores(outOfFold(plan.folds(), progress),
                    "kfold-oof(k=" + plan.folds() + ", " + images + " good)");
        };
    }

    private double[] leaveOneImageOut(IntConsumer progress) {
        double[] scores = new double[images];
        MemoryBank bank = model.bank();
        float[] own = new float[positions * dims];
        float[] distances = new float[positions];
        int[] nearest = new int[positions];
        try (NearestNeighbours search = new NearestNeighbours(bank.values(), bank.rows(), dims, context.threads())) {
            for (int i = 0; i < images; i++) {
                spill.read(i, own, 0);
                int from = imageStart[i];
                int to = imageStart[i + 1];
                if (to - from >= bank.rows()) {
                    throw new KensaException("patchcore: every bank row came from one image; leave-one-out needs more");
                }
                search.search(own, positions, distances, nearest, from, to);
                scores[i] = PatchCoreScoring.imageScore(own, 0, distances, nearest, 0, positions, bank.values(), bank.rows(),
                        dims, model.neighbours(), from, to);
                progress.accept(1);
            }
        }
        return scores;
    }

    private double[] outOfFold(int k, IntConsumer progress) {
        int[] foldOf = HeldOutPlan.assignFolds(images, k, options.seed());
        double[] scores = new double[images];
        float[] own = new float[positions * dims];
        float[] distances = new float[positions];
        int[] nearest = new int[positions];
        for (int f = 0; f < k; f++) {
            boolean[] skip = new boolean[images];
            for (int i = 0; i < images; i++) {
                skip[i] = foldOf[i] == f;
            }
            MemoryBank bank = readRows(select(allRows(skip))).bank();
            if (options.float16()) {
                bank = bank.toFloat16();
            }
            try (NearestNeighbours search = new NearestNeighbours(bank.values(), bank.rows(), dims, context.threads())) {
                for (int i = 0; i < images; i++) {
                    if (!skip[i]) {
                        continue;
                    }
                    spill.read(i, own, 0);
                    search.search(own, positions, distances, nearest);
                    scores[i] = PatchCoreScoring.imageScore(own, 0, distances, nearest, 0, positions, bank.values(),
                            bank.rows(), dims, model.neighbours(), 0, 0);
                    progress.accept(1);
                }
            }
        }
        return scores;
    }

    @Override
    public void close() {
        spill.close();
    }
}
