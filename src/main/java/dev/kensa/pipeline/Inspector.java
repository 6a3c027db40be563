package dev.kensa.pipeline;

import dev.kensa.bundle.PipelineConfig;
import dev.kensa.image.ImageGeometry;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodScorer;
import dev.kensa.post.AnomalyMap;
import dev.kensa.post.AnomalyMapBuilder;
import dev.kensa.post.HeatmapRenderer;
import dev.kensa.quality.QualityGate;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.RegionFinder;
import dev.kensa.verdict.Verdict;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The inspection flow for one model: prepare (decode + preprocess, one batch ahead), score (backbone and the
 * method's scorer, on the route {@link ScoringRoute} chose), post (anomaly map, regions) and verdict, with the
 * heatmap on request. It knows no method and no hardware: {@link Inspectors} builds it from a bundle on this box's
 * backend. Owns the feature extractor and the scorer; {@link #close()} releases both.
 */
public final class Inspector implements AutoCloseable {
    /** A requested result id is kept when it is this safe; otherwise the result gets a UUID. */
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final FeatureExtractor features;
    private final ScoringRoute route;
    private final Grid grid;
    /** Null for an image-level method (no map, no regions). */
    private final AnomalyMapBuilder maps;
    private final RegionFinder regions;
    private final HeatmapRenderer heatmaps;
    private final double bundleThreshold;
    /** The image threshold in force: the bundle's, or an engineer's override; swapped as a whole. */
    private volatile Threshold threshold;
    private final InspectionResult.ModelRef model;
    private final String method;
    private final int batchSize;
    /** The image-quality gates of the prepare stage (all off for a fit's own scoring). */
    private final QualityGate gate;
    private float[] distanceBuffer;
    private double[] scoreBuffer;

    /** As the full constructor with every image-quality gate off (a fit scoring its own images). */
    public Inspector(FeatureExtractor features, MethodScorer scorer, MethodModel methodModel, PipelineConfig pipeline,
                     InspectionResult.ModelRef model, int batchSize) {
        this(features, scorer, methodModel, pipeline, model, batchSize, null);
    }

    /**
     * Takes ownership of {@code features} and {@code scorer}.
     *
     * @param pipeline the bundle's pipeline with its defaults filled in ({@link PipelineConfig#withDefaults()})
     * @param gate     the image-quality gates applied to every decoded image before scoring (null: none)
     */
    public Inspector(FeatureExtractor features, MethodScorer scorer, MethodModel methodModel, PipelineConfig pipeline,
                     InspectionResult.ModelRef model, int batchSize, QualityGate gate) {
        this.gate = gate != null ? gate : new QualityGate(null, java.util.EnumSet.noneOf(QualityGate.Check.class));
        this.features = features;
        this.grid = methodModel.grid();
        this.method = methodModel.method().name();
        ImageGeometry geometry = features.preprocessor().geometry();
        PipelineConfig p = pipeline.withDefaults();
        this.maps = grid == null ? null
                : new AnomalyMapBuilder(grid.width(), grid.height(), geometry.crop(), p.smoothing().sigma());
        this.bundleThreshold = p.threshold().image().value();
        this.threshold = new Threshold(bundleThreshold, InspectionResult.THRESHOLD_BUNDLE);
        this.regions = new RegionFinder(geometry, p.threshold().pixel().value(), p.regions().minArea(), p.regions().opening());
        this.heatmaps = new HeatmapRenderer(geometry, bundleThreshold, p.heatmap().jpegQuality());
        this.model = model;
        this.batchSize = batchSize;
        this.route = new ScoringRoute(features, scorer);
    }

    /** An image threshold and where it came from ({@link InspectionResult#THRESHOLD_BUNDLE} or override). */
    public record Threshold(double value, String source) {
    }

    /** The image-quality gates in force: their limits (learned or the floors) and the checks switched on. */
    public QualityGate qualityGate() {
        return gate;
    }

    /** The most images per backbone batch (what the backend was built for). */
    public int batchSize() {
        return batchSize;
    }

    /** The image threshold verdicts use now. */
    public double threshold() {
        return threshold.value();
    }

    public Threshold thresholdInForce() {
        return threshold;
    }

    /**
     * Overrides the bundle's image threshold for verdicts from now on (null: back to the bundle's). The bundle is not
     * changed; results say which threshold decided them. Pixel-level regions keep the bundle's pixel threshold.
     */
    public void overrideThreshold(Double value) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("threshold must be a positive number, not " + value);
        }
        threshold = value == null ? new Threshold(bundleThreshold, InspectionResult.THRESHOLD_BUNDLE)
                : new Threshold(value, InspectionResult.THRESHOLD_OVERRIDE);
    }

    public FeatureExtractor features() {
        return features;
    }

    /** The method's scorer in use. */
    public MethodScorer scorer() {
        return route.scorer();
    }

    /** The detection method's name. */
    public String method() {
        return method;
    }

    /** The anomaly map's patch grid, or null for an image-level method. */
    public Grid grid() {
        return grid;
    }

    /** Distances per image in the score buffers: the grid's positions (1 for an image-level method). */
    public int positions() {
        return grid == null ? 1 : grid.positions();
    }

    /** Builds the smoothed anomaly maps, or null for an image-level method. */
    public AnomalyMapBuilder maps() {
        return maps;
    }

    public RegionFinder regions() {
        return regions;
    }

    public String describeBackend() {
        return features.backbone().describe() + " + " + route.scorer().describe() + (route.fused() ? " (fused gather on the device)" : "");
    }

    /** Whether either seam runs on the GPU (TensorRT backbone or CUDA scorer). */
    public boolean usesGpu() {
        return features.backbone() instanceof dev.kensa.backbone.DeviceBackbone || route.scorer().onDevice();
    }

    /** "fused" (layers stay on the device, the scorer takes them there) or "host" (the scorer works on host copies). */
    public String route() {
        return route.fused() ? "fused" : "host";
    }

    /**
     * Milliseconds for a whole batch: backbone, the method's embedding from the layers (0 on the fused route, where it
     * is part of the kernel), and its distances.
     */
    public record StageTimes(double backboneMs, double embeddingMs, double distanceMs) {
        static final StageTimes NONE = new StageTimes(0, 0, 0);
    }

    /**
     * Backbone and scoring of one preprocessed batch on this inspector's route.
     *
     * @param input       [n][3][h][w] normalised planes
     * @param distances   [n][P] output ({@link #positions()})
     * @param imageScores [n] output: the method's image scores, NaN where the map's max is the score
     */
    public synchronized StageTimes scoreTensors(float[] input, int n, float[] distances, double[] imageScores) {
        return route.score(input, n, distances, imageScores);
    }

    /**
     * Inspects every input, in order; a bad image yields an ERROR result and the run goes on. One call at a time
     * (the stages reuse their buffers); the maps handed to {@code consumer} are its own.
     */
    public void inspect(List<? extends ImageInput> inputs, Consumer<Inspection> consumer) {
        inspect(inputs, batchSize, consumer);
    }

    /** As {@link #inspect(List, Consumer)} in batches of {@code batch} (1 to the batch size this was opened with). */
    public void inspect(List<? extends ImageInput> inputs, int batch, Consumer<Inspection> consumer) {
        inspect(inputs, batch, gate, consumer);
    }

    /**
     * As {@link #inspect(List, Consumer)} without the image-quality gates: the self-test, whose golden images check
     * the model's arithmetic, not a camera (and may be any size).
     */
    public void inspectUngated(List<? extends ImageInput> inputs, Consumer<Inspection> consumer) {
        inspect(inputs, batchSize, null, consumer);
    }

    private synchronized void inspect(List<? extends ImageInput> inputs, int batch, QualityGate gate, Consumer<Inspection> consumer) {
        if (batch < 1 || batch > batchSize) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + batchSize);
        }
        int positions = positions();
        Threshold t = threshold; // one threshold per call, even if it is overridden meanwhile
        features.forEachPrepared(inputs, batch, gate, prepared -> {
            int n = prepared.size();
            if (distanceBuffer == null || distanceBuffer.length < n * positions) {
                distanceBuffer = new float[n * positions];
                scoreBuffer = new double[n];
            }
            float[] distances = distanceBuffer;
            double[] scores = scoreBuffer;
            StageTimes times = n > 0 ? scoreTensors(prepared.input(), n, distances, scores) : StageTimes.NONE;
            int[] widths = new int[n];
            int[] heights = new int[n];
            for (PreparedBatch.Item item : prepared.items()) {
                if (item.ok()) {
                    widths[item.slot()] = item.tensor().originalWidth();
                    heights[item.slot()] = item.tensor().originalHeight();
                }
            }
            Post[] posts = post(distances, scores, widths, heights);
            for (PreparedBatch.Item item : prepared.items()) {
                String ts = Instant.now().toString();
                String wanted = item.input().requestedId();
                String id = wanted != null && REQUEST_ID.matcher(wanted).matches() ? wanted : UUID.randomUUID().toString();
                if (!item.ok()) {
                    consumer.accept(new Inspection(item.index(), InspectionResult.error(id, ts, item.input().source(), model,
                            t.value(), t.source(), new InspectionResult.Timings(round(item.decodeMs()), 0, 0, 0, round(item.decodeMs())), item.error()),
                            null, null, 0, 0, item.qualityFailure()));
                    continue;
                }
                Post post = posts[item.slot()];
                double backboneMs = (times.backboneMs() + times.embeddingMs()) / n;
                double perScore = times.distanceMs() / n;
                double total = item.decodeMs() + backboneMs + perScore + post.ms();
                InspectionResult result = new InspectionResult(id, ts, item.input().source(),
                        Verdict.of(post.score(), t.value()), post.score(), post.score() / t.value(), t.value(),
                        t.source(), model, post.regions(), new InspectionResult.Timings(round(item.decodeMs()), round(backboneMs),
                        round(perScore), round(post.ms()), round(total)), null);
                consumer.accept(new Inspection(item.index(), result, post.map(), item.tensor().thumbnail(),
                        widths[item.slot()], heights[item.slot()]));
            }
        });
    }

    /**
     * One image's score, anomaly map and regions, and the milliseconds they took.
     *
     * @param map null for an image-level method
     */
    public record Post(double score, AnomalyMap map, List<InspectionResult.Region> regions, double ms) {
    }

    /**
     * Image scores, anomaly maps and regions of a scored batch, the images in parallel (on a GPU box the CPU
     * post-processing would otherwise be the bottleneck): slot k reads distances [k][P], its method score
     * imageScores[k] (NaN: the map's max) and its original size widths[k] x heights[k].
     */
    public Post[] post(float[] distances, double[] imageScores, int[] widths, int[] heights) {
        Post[] out = new Post[widths.length];
        IntStream slots = IntStream.range(0, widths.length);
        (widths.length > 1 && maps != null ? slots.parallel() : slots).forEach(k ->
                out[k] = postImage(distances, k, imageScores[k], widths[k], heights[k]));
        return out;
    }

    /** Post-processing of the image in batch slot {@code k}: its score, map and regions. */
    public Post postImage(float[] distances, int k, double imageScore, int width, int height) {
        long p0 = System.nanoTime();
        if (maps == null) {
            return new Post(imageScore, null, List.of(), (System.nanoTime() - p0) / 1e6);
        }
        AnomalyMap map = maps.build(distances, k * positions());
        List<InspectionResult.Region> found = regions.find(map, width, height);
        double score = Double.isNaN(imageScore) ? map.score() : imageScore;
        return new Post(score, map, found, (System.nanoTime() - p0) / 1e6);
    }

    /** The heatmap thumbnail JPEG of a successful inspection (for an image-level method: the image, saying so). */
    public byte[] heatmapJpeg(Inspection inspection) {
        if (inspection.thumbnail() == null || inspection.result() == null || inspection.result().verdict() == Verdict.ERROR) {
            throw new IllegalArgumentException("no heatmap for an ERROR result");
        }
        // the colour scale is anchored to the threshold that decided the result (an override included)
        Double t = inspection.result().threshold();
        double anchor = t != null ? t : threshold.value();
        if (inspection.map() == null) {
            return heatmaps.renderWithoutMap(inspection.thumbnail(), inspection.result().score(), anchor,
                    method + ": image score only, no anomaly map");
        }
        return heatmaps.renderJpeg(inspection.map(), inspection.thumbnail(), anchor);
    }

    private static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }

    @Override
    public void close() {
        route.scorer().close();
        features.close();
    }
}
