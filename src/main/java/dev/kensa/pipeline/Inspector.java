package dev.kensa.pipeline;

import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.backbone.DeviceFeatureMaps;
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
import dev.kensa.score.LayerScorer;
import dev.kensa.score.PatchScorer;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.RegionFinder;
import dev.kensa.verdict.Verdict;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The whole inference path for one model: image -> embedding -> patch distances -> anomaly map -> verdict,
 * regions and heatmap. Owns the feature extractor and the scorer; {@link #close()} releases both.
 *
 * <p>Two routes from the preprocessed batch to the patch distances: the <em>fused</em> one when the backbone keeps
 * its outputs on the GPU and the scorer gathers from there (TensorRT + CUDA: the feature maps never reach the host,
 * only the [N][P] distances come back), else the <em>host</em> one (backbone outputs, embedding gather in Java,
 * scorer). The route is chosen, and the fused one warmed up, when the inspector is built.
 */
public final class Inspector implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Inspector.class);
    private final FeatureExtractor features;
    private final PatchScorer scorer;
    /** The scorer when the fused route is in use, else null. */
    private final LayerScorer fused;
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
        this.fused = fusedRoute(features, scorer);
    }

    /** The fused route's scorer when backbone and scorer both work on the device and fit each other, else null. */
    private static LayerScorer fusedRoute(FeatureExtractor features, PatchScorer scorer) {
        if (!(scorer instanceof LayerScorer layerScorer) || !(features.backbone() instanceof DeviceBackbone device)) {
            return null;
        }
        // one zero image through the route: the layer shapes are checked and both sides warmed up at load
        DeviceFeatureMaps warm = device.extractOnDevice(new float[features.preprocessor().tensorSize()], 1);
        if (!layerScorer.accepts(warm)) {
            LOG.warnf("the backbone's %d layers do not fit the fused kernel; gathering embeddings on the host",
                    warm.layers().size());
            return null;
        }
        layerScorer.scoreLayers(warm, new float[features.positions()]);
        return layerScorer;
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
        PatchScorer scorer = null;
        try {
            checkGrid(bundle.stats(), fx);
            scorer = new dev.kensa.gpu.CudaPatchScorer(bundle.stats(), bundle.channels(), batchSize,
                    dev.kensa.gpu.CudaPatchScorer.loadKernelImage());
            return new Inspector(fx, scorer, bundle.pipeline(),
                    new InspectionResult.ModelRef(bundle.manifest().id(), bundle.sha256()), batchSize);
        } catch (RuntimeException e) {
            if (scorer != null) {
                scorer.close();
            }
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

    static ImagePreprocessor preprocessor(ModelBundle bundle) {
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
        return features.backbone().describe() + " + " + scorer.describe() + (fused != null ? " (fused gather on the device)" : "");
    }

    /** Whether either seam runs on the GPU (TensorRT backbone or CUDA scorer). */
    public boolean usesGpu() {
        return features.backbone() instanceof DeviceBackbone || scorer instanceof LayerScorer;
    }

    /** "fused" (layers stay on the device, the scorer gathers there) or "host" (embedding gathered in Java). */
    public String route() {
        return fused != null ? "fused" : "host";
    }

    /** Milliseconds for a whole batch: backbone, host gather (0 on the fused route: it is part of score), score. */
    public record StageTimes(double backboneMs, double gatherMs, double scoreMs) {
        static final StageTimes NONE = new StageTimes(0, 0, 0);
    }

    /**
     * Backbone and patch scoring of one preprocessed batch on this inspector's route.
     *
     * @param input     [n][3][h][w] normalised planes
     * @param distances [n][P] output
     */
    public synchronized StageTimes scoreTensors(float[] input, int n, float[] distances) {
        if (fused != null) {
            long t0 = System.nanoTime();
            DeviceFeatureMaps maps = ((DeviceBackbone) features.backbone()).extractOnDevice(input, n);
            long t1 = System.nanoTime();
            fused.scoreLayers(maps, distances);
            long t2 = System.nanoTime();
            return new StageTimes((t1 - t0) / 1e6, 0, (t2 - t1) / 1e6);
        }
        FeatureExtractor.Embedding e = features.embed(input, n);
        long t0 = System.nanoTime();
        scorer.score(e.values(), n, distances);
        return new StageTimes(e.backboneMs(), e.gatherMs(), (System.nanoTime() - t0) / 1e6);
    }

    /**
     * Inspects every input, in order; a bad image yields an ERROR result and the run goes on. One call at a time
     * (the stages reuse their buffers); the maps handed to {@code consumer} are its own.
     */
    public void inspect(List<? extends ImageInput> inputs, Consumer<Inspection> consumer) {
        inspect(inputs, batchSize, consumer);
    }

    /** As {@link #inspect(List, Consumer)} in batches of {@code batch} (1 to the batch size this was opened with). */
    public synchronized void inspect(List<? extends ImageInput> inputs, int batch, Consumer<Inspection> consumer) {
        if (batch < 1 || batch > batchSize) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + batchSize);
        }
        int positions = features.positions();
        Threshold t = threshold; // one threshold per call, even if it is overridden meanwhile
        features.forEachPrepared(inputs, batch, prepared -> {
            int n = prepared.size();
            if (distanceBuffer == null || distanceBuffer.length < n * positions) {
                distanceBuffer = new float[n * positions];
            }
            float[] distances = distanceBuffer;
            StageTimes times = n > 0 ? scoreTensors(prepared.input(), n, distances) : StageTimes.NONE;
            int[] widths = new int[n];
            int[] heights = new int[n];
            for (PreparedBatch.Item item : prepared.items()) {
                if (item.ok()) {
                    widths[item.slot()] = item.tensor().originalWidth();
                    heights[item.slot()] = item.tensor().originalHeight();
                }
            }
            Post[] posts = post(distances, widths, heights);
            for (PreparedBatch.Item item : prepared.items()) {
                String ts = Instant.now().toString();
                String wanted = item.input().requestedId();
                String id = wanted != null && wanted.matches("[A-Za-z0-9._:-]{1,128}") ? wanted : UUID.randomUUID().toString();
                if (!item.ok()) {
                    consumer.accept(new Inspection(item.index(), InspectionResult.error(id, ts, item.input().source(), model,
                            t.value(), t.source(), new InspectionResult.Timings(round(item.decodeMs()), 0, 0, 0, round(item.decodeMs())), item.error()),
                            null, null, 0, 0));
                    continue;
                }
                Post post = posts[item.slot()];
                AnomalyMap map = post.map();
                List<InspectionResult.Region> found = post.regions();
                double postMs = post.ms();
                int w = widths[item.slot()];
                int h = heights[item.slot()];
                double backboneMs = (times.backboneMs() + times.gatherMs()) / n;
                double perScore = times.scoreMs() / n;
                double total = item.decodeMs() + backboneMs + perScore + postMs;
                InspectionResult result = new InspectionResult(id, ts, item.input().source(),
                        Verdict.of(map.score(), t.value()), (double) map.score(), map.score() / t.value(), t.value(),
                        t.source(), model, found, new InspectionResult.Timings(round(item.decodeMs()), round(backboneMs),
                        round(perScore), round(postMs), round(total)), null);
                consumer.accept(new Inspection(item.index(), result, map, item.tensor().thumbnail(), w, h));
            }
        });
    }

    /** One image's anomaly map and regions, and the milliseconds they took. */
    public record Post(AnomalyMap map, List<InspectionResult.Region> regions, double ms) {
    }

    /**
     * Anomaly maps and regions of a scored batch, the images in parallel (on a GPU box the CPU post-processing would
     * otherwise be the bottleneck): slot k reads distances [k][P] and its original size widths[k] x heights[k].
     */
    public Post[] post(float[] distances, int[] widths, int[] heights) {
        int positions = features.positions();
        Post[] out = new Post[widths.length];
        IntStream slots = IntStream.range(0, widths.length);
        (widths.length > 1 ? slots.parallel() : slots).forEach(k -> {
            long p0 = System.nanoTime();
            AnomalyMap map = maps.build(distances, k * positions);
            List<InspectionResult.Region> found = regions.find(map, widths[k], heights[k]);
            out[k] = new Post(map, found, (System.nanoTime() - p0) / 1e6);
        });
        return out;
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
        // the colour scale is anchored to the threshold that decided the result (an override included)
        Double t = inspection.result() != null ? inspection.result().threshold() : null;
        return heatmaps.renderJpeg(inspection.map(), inspection.thumbnail(), t != null ? t : threshold.value());
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
