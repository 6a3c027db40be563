package dev.kensa.pipeline;

import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.post.AnomalyMap;
import dev.kensa.post.AnomalyMapBuilder;
import dev.kensa.post.HeatmapRenderer;
import dev.kensa.score.CpuPatchScorer;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.PatchScorer;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.RegionFinder;
import dev.kensa.verdict.Verdict;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The whole inference path for one model: image -> embedding -> patch distances -> anomaly map -> verdict,
 * regions and heatmap. Owns the feature extractor and the scorer; {@link #close()} releases both.
 */
public final class Inspector implements AutoCloseable {
    private final FeatureExtractor features;
    private final PatchScorer scorer;
    private final AnomalyMapBuilder maps;
    private final RegionFinder regions;
    private final HeatmapRenderer heatmaps;
    private final double bundleThreshold;
    /** The image threshold in force: the bundle's, or an engineer's override; swapped as a whole. */
    private volatile Threshold threshold;
    private final InspectionResult.ModelRef model;
    private final int batchSize;
    private float[] distanceBuffer;

    public Inspector(FeatureExtractor features, PatchScorer scorer, PipelineConfig pipeline,
                     InspectionResult.ModelRef model, int batchSize) {
        this.features = features;
        this.scorer = scorer;
        ImageGeometry geometry = features.preprocessor().geometry();
        this.maps = new AnomalyMapBuilder(features.gridWidth(), features.gridHeight(), geometry.crop(),
                pipeline.smoothing().sigma());
        this.bundleThreshold = pipeline.threshold().image().value();
        this.threshold = new Threshold(bundleThreshold, InspectionResult.THRESHOLD_BUNDLE);
        double pixelThreshold = pipeline.threshold().pixel() != null ? pipeline.threshold().pixel().value() : bundleThreshold;
        this.regions = new RegionFinder(geometry, pixelThreshold, pipeline.regions() != null ? pipeline.regions().minArea() : 1);
        int quality = pipeline.heatmap() != null ? pipeline.heatmap().jpegQuality() : 85;
        this.heatmaps = new HeatmapRenderer(geometry, bundleThreshold, quality);
        this.model = model;
        this.batchSize = batchSize;
    }

    /** Opens a bundle on the {@code auto} backend (GPU when present, else CPU), {@code threads} cores. */
    public static Inspector open(ModelBundle bundle, int threads, int batchSize) {
        return open(bundle, threads, batchSize, dev.kensa.gpu.Backends.Options.defaults());
    }

    /**
     * Opens a bundle on the backend {@code options} ask for ({@code kensa.backend}): TensorRT backbone + CUDA scorer,
     * or ONNX Runtime backbone + Java scorer. In auto mode a GPU backend that fails to come up falls back to CPU
     * with the reason logged; in tensorrt mode it fails.
     */
    public static Inspector open(ModelBundle bundle, int threads, int batchSize, dev.kensa.gpu.Backends.Options options) {
        dev.kensa.gpu.Backends.Decision decision = dev.kensa.gpu.Backends.choose(options.mode());
        if (decision.gpu()) {
            try {
                return openGpu(bundle, threads, batchSize, options);
            } catch (RuntimeException | LinkageError e) {
                if (options.mode() != dev.kensa.gpu.Backends.Mode.AUTO) {
                    throw e instanceof dev.kensa.KensaException k ? k
                            : new dev.kensa.KensaException("GPU backend failed: " + e.getMessage(), e);
                }
                dev.kensa.gpu.Backends.fallback("auto: GPU backend failed to load (" + e.getMessage() + ")");
            }
        }
        return openCpu(bundle, threads, batchSize);
    }

    private static Inspector openGpu(ModelBundle bundle, int threads, int batchSize, dev.kensa.gpu.Backends.Options options) {
        ImagePreprocessor pre = preprocessor(bundle);
        String backboneSha = bundle.manifest().sha256().getOrDefault(bundle.manifest().backbone().file(), bundle.sha256());
        Backbone backbone = new dev.kensa.gpu.TensorRtBackbone(bundle.backbonePath(), backboneSha,
                bundle.manifest().backbone().outputs(), pre.geometry().crop(), batchSize, options.precision(),
                new dev.kensa.gpu.EngineCache(options.cacheDir()));
        FeatureExtractor fx = new FeatureExtractor(pre, backbone, bundle.channels(), threads);
        try {
            checkGrid(bundle.stats(), fx);
            PatchScorer scorer = new dev.kensa.gpu.CudaPatchScorer(bundle.stats(), bundle.channels(), batchSize,
                    dev.kensa.gpu.CudaPatchScorer.loadKernelImage());
            return new Inspector(fx, scorer, bundle.pipeline(),
                    new InspectionResult.ModelRef(bundle.manifest().id(), bundle.sha256()), batchSize);
        } catch (RuntimeException e) {
            fx.close();
            throw e;
        }
    }

    /** The CPU backend: ONNX Runtime backbone and Java scorer, {@code threads} cores. */
    public static Inspector openCpu(ModelBundle bundle, int threads, int batchSize) {
        ImagePreprocessor pre = preprocessor(bundle);
        OnnxRuntimeBackbone backbone = new OnnxRuntimeBackbone(bundle.backbonePath(), bundle.manifest().backbone().outputs(), threads);
        FeatureExtractor fx = new FeatureExtractor(pre, backbone, bundle.channels(), threads);
        GaussianStats stats = bundle.stats();
        try {
            checkGrid(stats, fx);
        } catch (RuntimeException e) {
            fx.close();
            throw e;
        }
        return new Inspector(fx, dev.kensa.score.PatchScorers.cpu(stats, threads), bundle.pipeline(),
                new InspectionResult.ModelRef(bundle.manifest().id(), bundle.sha256()), batchSize);
    }

    private static ImagePreprocessor preprocessor(ModelBundle bundle) {
        Manifest.Input in = bundle.manifest().backbone().input();
        PipelineConfig pipeline = bundle.pipeline();
        return new ImagePreprocessor(new ImageGeometry(pipeline.image().resize(), pipeline.image().crop()),
                in.mean(), in.std(), in.channelOrder(), pipeline.heatmap() != null ? pipeline.heatmap().size() : 256);
    }

    private static void checkGrid(GaussianStats stats, FeatureExtractor fx) {
        if (stats.gridHeight() != fx.gridHeight() || stats.gridWidth() != fx.gridWidth()) {
            throw new dev.kensa.KensaException("bundle statistics are for a " + stats.gridHeight() + "x" + stats.gridWidth()
                    + " grid but the backbone gives " + fx.gridHeight() + "x" + fx.gridWidth());
        }
    }

    /** An image threshold and where it came from ({@link InspectionResult#THRESHOLD_BUNDLE} or override). */
    public record Threshold(double value, String source) {
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

    public PatchScorer scorer() {
        return scorer;
    }

    public AnomalyMapBuilder maps() {
        return maps;
    }

    public RegionFinder regions() {
        return regions;
    }

    public String describeBackend() {
        return features.backbone().describe() + " + " + scorer.describe();
    }

    /**
     * Inspects every input, in order; a bad image yields an ERROR result and the run goes on. One call at a time
     * (the stages reuse their buffers); the maps handed to {@code consumer} are its own.
     */
    public synchronized void inspect(List<? extends ImageInput> inputs, Consumer<Inspection> consumer) {
        int positions = features.positions();
        Threshold t = threshold; // one threshold per call, even if it is overridden meanwhile
        features.forEachBatch(inputs, batchSize, e -> {
            PreparedBatch batch = e.batch();
            int n = batch.size();
            if (distanceBuffer == null || distanceBuffer.length < n * positions) {
                distanceBuffer = new float[n * positions];
            }
            float[] distances = distanceBuffer;
            long t0 = System.nanoTime();
            if (n > 0) {
                scorer.score(e.embeddings(), n, distances);
            }
            double scoreMs = (System.nanoTime() - t0) / 1e6;
            for (PreparedBatch.Item item : batch.items()) {
                String ts = Instant.now().toString();
                String wanted = item.input().requestedId();
                String id = wanted != null && wanted.matches("[A-Za-z0-9._:-]{1,128}") ? wanted : UUID.randomUUID().toString();
                if (!item.ok()) {
                    consumer.accept(new Inspection(item.index(), InspectionResult.error(id, ts, item.input().source(), model,
                            t.value(), t.source(), new InspectionResult.Timings(round(item.decodeMs()), 0, 0, 0, round(item.decodeMs())), item.error()),
                            null, null, 0, 0));
                    continue;
                }
                long p0 = System.nanoTime();
                AnomalyMap map = maps.build(distances, item.slot() * positions);
                int w = item.tensor().originalWidth();
                int h = item.tensor().originalHeight();
                List<InspectionResult.Region> found = regions.find(map, w, h);
                double postMs = (System.nanoTime() - p0) / 1e6;
                double backboneMs = (e.backboneMs() + e.gatherMs()) / n;
                double perScore = scoreMs / n;
                double total = item.decodeMs() + backboneMs + perScore + postMs;
                InspectionResult result = new InspectionResult(id, ts, item.input().source(),
                        Verdict.of(map.score(), t.value()), (double) map.score(), map.score() / t.value(), t.value(),
                        t.source(), model, found, new InspectionResult.Timings(round(item.decodeMs()), round(backboneMs),
                        round(perScore), round(postMs), round(total)), null);
                consumer.accept(new Inspection(item.index(), result, map, item.tensor().thumbnail(), w, h));
            }
        });
    }

    /** Scores a batch of already-extracted embeddings into anomaly maps (used by calibration). */
    public static AnomalyMap[] score(PatchScorer scorer, AnomalyMapBuilder builder, float[] embeddings, int n, int positions) {
        float[] distances = new float[n * positions];
        scorer.score(embeddings, n, distances);
        AnomalyMap[] out = new AnomalyMap[n];
        for (int i = 0; i < n; i++) {
            out[i] = builder.build(distances, i * positions);
        }
        return out;
    }

    /** The heatmap thumbnail JPEG of a successful inspection. */
    public byte[] heatmapJpeg(Inspection inspection) {
        if (inspection.map() == null || inspection.thumbnail() == null) {
            throw new IllegalArgumentException("no heatmap for an ERROR result");
        }
        Double t = inspection.result().threshold();
        return heatmaps.renderJpeg(inspection.map(), inspection.thumbnail(), t != null ? t : bundleThreshold);
    }

    private static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }

    @Override
    public void close() {
        scorer.close();
        features.close();
    }
}
