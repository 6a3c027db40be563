package dev.kensa.pipeline;

import dev.kensa.KensaException;
import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.gpu.Backends;
import dev.kensa.gpu.EngineCache;
import dev.kensa.gpu.TensorRtBackbone;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodScorer;
import dev.kensa.quality.QualityGate;
import dev.kensa.quality.QualityLimits;
import dev.kensa.verdict.InspectionResult;

import java.util.EnumSet;
import java.util.Set;

/**
 * Builds an {@link Inspector} for a bundle on this box's backend: the one place that chooses and constructs the
 * hardware-specific parts (ONNX Runtime or TensorRT backbone; the method's Java or CUDA scorer), following
 * {@code kensa.backend} ({@link Backends}). The inspector is handed the result and knows neither.
 */
public final class Inspectors {
    private Inspectors() {
    }

    /** Opens a bundle on the {@code auto} backend (GPU when present, else CPU), {@code threads} cores. */
    public static Inspector open(ModelBundle bundle, int threads, int batchSize) {
        return open(bundle, threads, batchSize, Backends.Options.defaults());
    }

    /** As {@link #open(ModelBundle, int, int, Backends.Options, Set)} with every image-quality check on. */
    public static Inspector open(ModelBundle bundle, int threads, int batchSize, Backends.Options options) {
        return open(bundle, threads, batchSize, options, EnumSet.allOf(QualityGate.Check.class));
    }

    /**
     * The image-quality gates for a bundle: the limits learned at its fit (its calibration.json) or, for a bundle
     * without them, the absolute floors; only the {@code enabled} checks run.
     */
    public static QualityGate qualityGate(ModelBundle bundle, Set<QualityGate.Check> enabled) {
        CalibrationRecord c = bundle.calibration();
        QualityLimits learned = c != null && c.quality() != null ? c.quality().limits() : null;
        return new QualityGate(learned, enabled);
    }

    /**
     * Opens a bundle on the backend {@code options} ask for: TensorRT backbone + the method's CUDA scorer, or ONNX
     * Runtime backbone + its Java scorer. In auto mode a GPU backend that fails to come up falls back to CPU with the
     * reason logged; in tensorrt mode it fails.
     */
    public static Inspector open(ModelBundle bundle, int threads, int batchSize, Backends.Options options,
                                 Set<QualityGate.Check> qualityChecks) {
        QualityGate gate = qualityGate(bundle, qualityChecks);
        Backends.Decision decision = Backends.choose(options.mode());
        if (decision.gpu()) {
            try {
                return openGpu(bundle, threads, batchSize, options, gate);
            } catch (RuntimeException | LinkageError e) {
                if (options.mode() != Backends.Mode.AUTO) {
                    throw e instanceof KensaException k ? k : new KensaException("GPU backend failed: " + e.getMessage(), e);
                }
                Backends.fallback("auto: GPU backend failed to load (" + e.getMessage() + ")");
            }
        }
        return openCpu(bundle, threads, batchSize, gate);
    }

    /** The CPU backend: ONNX Runtime backbone and the method's Java scorer, {@code threads} cores; every gate on. */
    public static Inspector openCpu(ModelBundle bundle, int threads, int batchSize) {
        return openCpu(bundle, threads, batchSize, qualityGate(bundle, EnumSet.allOf(QualityGate.Check.class)));
    }

    private static Inspector openCpu(ModelBundle bundle, int threads, int batchSize, QualityGate gate) {
        ImagePreprocessor pre = preprocessor(bundle.manifest().backbone().input(), bundle.pipeline());
        Backbone backbone = new OnnxRuntimeBackbone(bundle.backbonePath(), bundle.model().layers(), threads);
        return assemble(bundle, new FeatureExtractor(pre, backbone, threads), MethodModel.ScorerSpec.cpu(threads, batchSize),
                batchSize, gate);
    }

    private static Inspector openGpu(ModelBundle bundle, int threads, int batchSize, Backends.Options options, QualityGate gate) {
        ImagePreprocessor pre = preprocessor(bundle.manifest().backbone().input(), bundle.pipeline());
        String backboneSha = bundle.manifest().sha256().getOrDefault(bundle.manifest().backbone().file(), bundle.sha256());
        Backbone backbone = new TensorRtBackbone(bundle.backbonePath(), backboneSha, bundle.model().layers(),
                pre.geometry().crop(), batchSize, options.precision(), new EngineCache(options.cacheDir()));
        return assemble(bundle, new FeatureExtractor(pre, backbone, threads),
                new MethodModel.ScorerSpec(true, threads, batchSize), batchSize, gate);
    }

    private static Inspector assemble(ModelBundle bundle, FeatureExtractor fx, MethodModel.ScorerSpec spec, int batchSize,
                                      QualityGate gate) {
        MethodScorer scorer = null;
        try {
            bundle.model().checkLayers(fx.layers());
            scorer = bundle.model().scorer(spec);
            return new Inspector(fx, scorer, bundle.model(), bundle.pipeline(),
                    new InspectionResult.ModelRef(bundle.manifest().id(), bundle.sha256()), batchSize, gate);
        } catch (RuntimeException e) {
            if (scorer != null) {
                scorer.close();
            }
            fx.close();
            throw e;
        }
    }

    /**
     * An inspector of a model that has no bundle yet (a fit scoring its calibration and self-test images): the
     * method's Java scorer on the fit's own feature extractor, which the inspector then owns.
     */
    public static Inspector ofFit(FeatureExtractor fx, MethodModel model, PipelineConfig pipeline, String modelId,
                                  int threads, int batchSize) {
        MethodScorer scorer = model.scorer(MethodModel.ScorerSpec.cpu(threads, batchSize));
        return new Inspector(fx, scorer, model, pipeline, new InspectionResult.ModelRef(modelId, null), batchSize);
    }

    /** The preprocessing a bundle's backbone expects, with its pipeline's geometry. */
    public static ImagePreprocessor preprocessor(Manifest.Input in, PipelineConfig pipeline) {
        PipelineConfig p = pipeline.withDefaults();
        return new ImagePreprocessor(new ImageGeometry(p.image().resize(), p.image().crop()), in.mean(), in.std(),
                in.channelOrder(), p.heatmap().size());
    }
}
