package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.Version;
import dev.kensa.backbone.LayerShape;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.BundleDraft;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.method.Methods;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.pipeline.PreparedBatch;
import dev.kensa.pipeline.SelfTest;
import dev.kensa.post.AnomalyMapBuilder;
import dev.kensa.util.ImageFiles;
import dev.kensa.util.Progress;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;


/**
 * {@code kensa fit}: good images in, a verified {@code kensa-bundle/1} out (../shared/DESIGN.md §4-5), for any method.
 *
 * <p>One pass over the images through the backbone streams their features into the method's fitter
 * ({@link DetectionMethod#fitter}); the threshold is then calibrated on scores of good images the model did not
 * see: the training images scored held-out by the fitter itself (k-fold out-of-fold or leave-one-out, without a
 * second pass through the backbone), or a separate holdout or labelled dev set scored by the fitted model.
 */
public final class BundleFitter {

    /**
     * @param thresholdSource   how the threshold was calibrated
     * @param goodRejectRate    share of the calibration goods above the threshold
     * @param defectAcceptRate  share of dev-set defects at or below the threshold (dev calibration only)
     * @param calibrationScores the good scores the threshold was chosen from
     */
    public record FitReport(ModelBundle bundle, int images, double fitSeconds, double calibrationSeconds,
                            double threshold, String thresholdSource, double goodRejectRate, Double defectAcceptRate,
                            double[] calibrationScores) {
    }

    private BundleFitter() {
    }

    public static FitReport fit(FitOptions o, boolean progress) {
        DetectionMethod method = Methods.byName(o.method());
        List<Path> train = ImageFiles.list(o.trainDir(), "training");
        if (train.size() < 2) {
            throw new KensaException("need at least 2 good images to fit, " + o.trainDir() + " has " + train.size());
        }
        HeldOutPlan plan = heldOutPlan(o, method, train.size());
        BundleWriter.checkOutput(o.output());
        List<String> layers = o.layers() != null && !o.layers().isEmpty() ? o.layers() : method.defaultLayers();
        ImageGeometry geometry = new ImageGeometry(o.resize(), o.crop());
        Manifest.Input input = Manifest.Input.imagenet(o.crop());
        ImagePreprocessor pre = new ImagePreprocessor(geometry, input.mean(), input.std(), input.channelOrder(), 0);
        // before the backbone loads: a camera fault among the "good" images is refused in seconds
        CalibrationRecord.Quality quality = FitQuality.measure(train, o.trainDir(), pre, o.threads());
        FeatureExtractor fx = new FeatureExtractor(pre, new OnnxRuntimeBackbone(o.backbone(), layers, o.threads()), o.threads());
        boolean fxOwned = true;
        try {
            LayerShape first = fx.layers().get(0);
            AnomalyMapBuilder maps = new AnomalyMapBuilder(first.width(), first.height(), o.crop(), o.sigma());
            FitContext context = new FitContext(fx.layers(), train.size(), o.methodOptions(), plan, o.threads(),
                    (distances, offset) -> maps.build(distances, offset).score(),
                    progress ? (label, total) -> new Progress(label, total)::advance : FitContext.ProgressFactory.SILENT);
            long t0 = System.nanoTime();
            MethodModel model;
            double[] good = null;
            List<String> goodFiles = null;
            CalibrationRecord.Method calibrationMethod = null;
            String source = null;
            double calibrationSeconds;
            try (MethodFitter fitter = method.fitter(context)) {
                Progress bar = progress ? new Progress("fit", train.size()) : Progress.silent(train.size());
                List<ImageInput> inputs = train.stream().map(ImageInput::of).toList();
                fx.forEachBatch(inputs, o.batchSize(), b -> {
                    int[] indices = new int[b.prepared().size()];
                    for (PreparedBatch.Item item : b.prepared().items()) {
                        if (!item.ok()) {
                            throw new KensaException("training image " + item.input().source() + ": " + item.error());
                        }
                        indices[item.slot()] = item.index();
                    }
                    if (b.maps() != null) {
                        fitter.add(b.maps(), indices);
                    }
                    bar.advance(b.prepared().items().size());
                });
                model = fitter.finish();
                long c0 = System.nanoTime();
                if (plan != null) {
                    Progress cal = progress ? new Progress("calibrate", train.size()) : Progress.silent(train.size());
                    MethodFitter.HeldOutScores h = fitter.heldOut(cal::advance);
                    good = h.scores();
                    goodFiles = names(o.trainDir(), train);
                    calibrationMethod = plan.mode() == HeldOutPlan.Mode.LOO ? CalibrationRecord.Method.LOO : CalibrationRecord.Method.KFOLD;
                    source = h.source();
                }
                calibrationSeconds = (System.nanoTime() - c0) / 1e9;
            }
            double fitSeconds = (System.nanoTime() - t0) / 1e9 - calibrationSeconds;

            String name = o.name() != null ? o.name() : defaultName(o.trainDir());
            String id = name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            PipelineConfig.Image image = new PipelineConfig.Image(o.resize(), o.crop());
            // scores do not depend on the threshold: a placeholder until calibration has chosen one
            PipelineConfig scoring = PipelineConfig.of(image, o.sigma(), new PipelineConfig.ImageThreshold(1, 0, "uncalibrated"));
            fxOwned = false;
            try (Inspector inspector = Inspectors.ofFit(fx, model, scoring, id, o.threads(), o.batchSize())) {
                long c0 = System.nanoTime();
                double[] defects = null;
                if (plan == null) {
                    if (o.devDir() != null) {
                        DevSet dev = DevSet.of(o.devDir());
                        good = scoreImages(inspector, dev.good(), "dev good");
                        defects = scoreImages(inspector, dev.defective(), "dev defect");
                        goodFiles = names(o.devDir(), dev.good());
                        calibrationMethod = CalibrationRecord.Method.DEV;
                        source = "dev(" + good.length + " good, " + defects.length + " defective: " + o.devDir() + ")";
                    } else if (o.holdoutDir() != null) {
                        List<Path> held = ImageFiles.list(o.holdoutDir(), "held-out good");
                        good = scoreImages(inspector, held, "held-out");
                        goodFiles = names(o.holdoutDir(), held);
                        calibrationMethod = CalibrationRecord.Method.HOLDOUT;
                        source = "holdout(" + good.length + " good: " + o.holdoutDir() + ")";
                    } else {
                        // uncalibrated: the training images' own scores, which are optimistic (seen in the fit)
                        good = scoreImages(inspector, train, "training");
                        goodFiles = names(o.trainDir(), train);
                        calibrationMethod = CalibrationRecord.Method.IN_SAMPLE;
                        source = "uncalibrated(max training score)";
                    }
                    calibrationSeconds += (System.nanoTime() - c0) / 1e9;
                }
                double threshold = o.calibrate() ? ThresholdCalibration.threshold(good, o.fpr(), o.margin())
                        : ThresholdCalibration.threshold(good, 0, 0);
                List<BundleDraft.SelfTestDraft> selfTests = SelfTest.make(train, inspector, o.resize());
                PipelineConfig pipeline = PipelineConfig.of(image, o.sigma(),
                        new PipelineConfig.ImageThreshold(threshold, o.calibrate() ? o.fpr() : 0, source));
                double fprTarget = o.calibrate() ? o.fpr() : 0;
                List<CalibrationRecord.Score> scores = new ArrayList<>(good.length);
                for (int i = 0; i < good.length; i++) {
                    scores.add(new CalibrationRecord.Score(goodFiles.get(i), good[i]));
                }
                CalibrationRecord calibration = CalibrationRecord.of(calibrationMethod,
                        calibrationMethod == CalibrationRecord.Method.KFOLD ? plan.folds() : null, fprTarget,
                        fprTarget == 0 ? (o.calibrate() ? o.margin() : 0.0) : null, threshold, scores, quality);
                BundleDraft draft = new BundleDraft(id, name, Version.VERSION, o.backbone(), input, model,
                        new Manifest.Training(train.size(), o.trainDir().toAbsolutePath().toString(), null), pipeline, selfTests, null, calibration);
                ModelBundle bundle = BundleWriter.create(o.output(), draft);
                return new FitReport(bundle, train.size(), fitSeconds, calibrationSeconds, threshold, source,
                        ThresholdCalibration.rateAbove(good, threshold),
                        defects == null ? null : 1 - ThresholdCalibration.rateAbove(defects, threshold), good);
            }
        } finally {
            if (fxOwned) {
                fx.close();
            }
        }
    }

    /** The held-out plan for the training images, or null when the threshold is calibrated on other images. */
    static HeldOutPlan heldOutPlan(FitOptions o, DetectionMethod method, int images) {
        if (!o.calibrate() || o.holdoutDir() != null || o.devDir() != null) {
            return null;
        }
        HeldOutPlan.Mode mode = o.heldOut() != null ? o.heldOut() : method.heldOutModes().get(0);
        if (!method.heldOutModes().contains(mode)) {
            throw new KensaException(method.name() + " cannot calibrate with " + mode.label + " (it has "
                    + method.heldOutModes().stream().map(m -> m.label).toList() + ")");
        }
        if (mode == HeldOutPlan.Mode.LOO) {
            if (images < 4) {
                throw new KensaException("leave-one-out calibration needs at least 4 good images, have " + images
                        + "; give --holdout or --dev images");
            }
            return HeldOutPlan.loo();
        }
        int k = Math.min(o.folds(), images / 2);
        if (k < 2) {
            throw new KensaException("k-fold calibration needs at least 4 good images, have " + images
                    + "; give --holdout or --dev images");
        }
        return HeldOutPlan.kfold(k);
    }

    private static List<String> names(Path root, List<Path> files) {
        return files.stream().map(p -> FitQuality.relativeName(root, p)).toList();
    }

    /** Image scores of a folder's images with the fitted model; any unreadable image stops the fit. */
    static double[] scoreImages(Inspector inspector, List<Path> files, String what) {
        return scoreInputs(inspector, files.stream().map(ImageInput::of).toList(), what);
    }

    static double[] scoreInputs(Inspector inspector, List<ImageInput> inputs, String what) {
        double[] scores = new double[inputs.size()];
        inspector.inspect(inputs, in -> {
            if (!in.scored()) {
                throw new KensaException(what + " image " + in.result().source() + ": " + in.result().error());
            }
            scores[in.index()] = in.result().score();
        });
        return scores;
    }

    static String defaultName(Path trainDir) {
        Path p = trainDir.toAbsolutePath().normalize();
        // MVTec: <category>/train/good -> category
        while (p.getParent() != null && (p.getFileName().toString().equals("good") || p.getFileName().toString().equals("train"))) {
            p = p.getParent();
        }
        return p.getFileName() == null ? "model" : p.getFileName().toString();
    }
}
