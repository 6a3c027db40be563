package dev.kensa.eval;

import dev.kensa.KensaException;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.DevSet;
import dev.kensa.fit.FitOptions;
import dev.kensa.image.ImageGeometry;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.util.Progress;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_GRAYSCALE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * {@code kensa eval}: fit a bundle on {@code train/good} exactly as {@code kensa fit} does, load it back as a
 * deployed box would, inspect {@code test/*}, and score it: image AUROC, F1-max, and, where ground-truth masks
 * exist, pixel AUROC and AUPRO (FPR limit 0.3) on the crop the model sees (masks resized and cropped with the
 * image, nearest neighbour), as PaDiM implementations report them.
 */
public final class Evaluator {
    public static final double AUPRO_FPR_LIMIT = 0.3;

    private Evaluator() {
    }

    /**
     * An evaluation with what the HTML report needs besides the figures.
     *
     * Of the test images that could be read (the others are named in {@code report.errorImages()}):
     *
     * @param heatmaps    heatmap JPEG per test image (null entries when the set is too large to keep them all)
     * @param calibration the evaluated bundle's calibration record (null for a bundle without one)
     */
    public record Evaluation(EvalReport report, List<Path> images, double[] scores, boolean[] anomalous, byte[][] heatmaps,
                             dev.kensa.calibration.CalibrationRecord calibration) {
        /** Without a calibration record (a bundle written before calibration.json). */
        public Evaluation(EvalReport report, List<Path> images, double[] scores, boolean[] anomalous, byte[][] heatmaps) {
            this(report, images, scores, anomalous, heatmaps, null);
        }
    }

    /** Test sets up to this size keep every heatmap for the report (about 15 KB each). */
    static final int MAX_KEPT_HEATMAPS = 2000;

    public static EvalReport evaluate(Path dataset, FitOptions fitOptions, boolean progress) {
        return evaluateFull(dataset, fitOptions, progress).report();
    }

    public static Evaluation evaluateFull(Path dataset, FitOptions fitOptions, boolean progress) {
        return evaluateFull(dataset, fitOptions, java.util.EnumSet.allOf(dev.kensa.quality.QualityGate.Check.class), progress);
    }

    /**
     * As {@link #evaluateFull(Path, FitOptions, boolean)} with only {@code qualityChecks} of the image-quality gates on.
     * A test image that fails a gate is what a box answers with ERROR: it is reported by name with the check, like an
     * unreadable image, and left out of every figure (the detector never scored it; the figures are the detector's).
     */
    public static Evaluation evaluateFull(Path dataset, FitOptions fitOptions, java.util.Set<dev.kensa.quality.QualityGate.Check> qualityChecks,
                                          boolean progress) {
        DevSet test = DevSet.of(dataset.resolve("test"));
        BundleFitter.FitReport fit = BundleFitter.fit(fitOptions, progress);
        return inspectAndScore(dataset, test, fit.bundle(), fitOptions.threads(), fitOptions.batchSize(), qualityChecks,
                progress, fit.fitSeconds(), fit.images(), fit.calibrationSeconds(), fit.thresholdSource());
    }

    /**
     * Evaluates an existing bundle (e.g. one imported from a notebook) on {@code dataset}'s test images as
     * {@link #evaluateFull} evaluates a fresh fit, without fitting: the report's fit figures are zero and its
     * threshold source is the bundle's.
     */
    public static Evaluation evaluateBundle(Path dataset, ModelBundle bundle, int threads, int batch) {
        DevSet test = DevSet.of(dataset.resolve("test"));
        var training = bundle.manifest().training();
        return inspectAndScore(dataset, test, bundle, threads, batch,
                java.util.EnumSet.allOf(dev.kensa.quality.QualityGate.Check.class), false, 0,
                training != null ? training.images() : 0, 0,
                bundle.pipeline().threshold().image().source());
    }

    private static Evaluation inspectAndScore(Path dataset, DevSet test, ModelBundle bundle, int threads, int batch,
                                              java.util.Set<dev.kensa.quality.QualityGate.Check> qualityChecks,
                                              boolean progress, double fitSeconds, int trainImages,
                                              double calibrationSeconds, String thresholdSource) {
        List<Path> images = new ArrayList<>(test.good());
        images.addAll(test.defective());
        int nGood = test.good().size();
        boolean[] anomalous = new boolean[images.size()];
        Arrays.fill(anomalous, nGood, images.size(), true);

        // masks: every defective image needs one for pixel metrics
        List<Path> maskFiles = new ArrayList<>();
        String pixelNote = null;
        for (Path p : test.defective()) {
            Path m = maskOfTest(dataset, p);
            if (m == null) {
                pixelNote = "pixel metrics unavailable: no ground-truth mask for " + p;
                break;
            }
            maskFiles.add(m);
        }

        ImageGeometry geometry = new ImageGeometry(bundle.pipeline().image().resize(), bundle.pipeline().image().crop());
        double[] scores = new double[images.size()];
        float[][] maps = new float[images.size()][];
        double[][] timings = new double[5][images.size()];
        byte[][] heatmaps = new byte[images.size()][];
        boolean keepHeatmaps = images.size() <= MAX_KEPT_HEATMAPS;
        boolean[] failed = new boolean[images.size()];
        List<String> errors = new ArrayList<>();
        String backend;
        boolean hasMap = bundle.model().grid() != null;
        if (!hasMap && pixelNote == null) {
            pixelNote = "pixel metrics unavailable: " + bundle.method() + " scores whole images, it has no anomaly map";
        }
        Progress bar = progress ? new Progress("inspect", images.size()) : Progress.silent(images.size());
        try (Inspector inspector = Inspectors.open(bundle, threads, batch, dev.kensa.gpu.Backends.Options.defaults(),
                qualityChecks)) {
            backend = inspector.describeBackend();
            inspector.inspect(images.stream().map(ImageInput::of).toList(), (Inspection in) -> {
                int i = in.index();
                bar.advance(1);
                if (!in.scored()) {
                    // an unreadable test image, or one a quality gate refused, is reported by name and left out of
                    // every figure; the run goes on
                    failed[i] = true;
                    errors.add(images.get(i) + ": " + in.result().error());
                    return;
                }
                scores[i] = in.result().score();
                maps[i] = in.map() != null ? in.map().values() : null;
                if (keepHeatmaps) {
                    heatmaps[i] = inspector.heatmapJpeg(in);
                }
                var t = in.result().timingsMs();
                timings[0][i] = t.decode();
                timings[1][i] = t.backbone();
                timings[2][i] = t.score();
                timings[3][i] = t.post();
                timings[4][i] = t.total();
            });
        }
        if (errors.size() == images.size()) {
            throw new KensaException("no test image of " + dataset + " could be read (first: " + errors.get(0) + ")");
        }

        double imageAuroc = Metrics.auroc(kept(scores, failed), kept(anomalous, failed));
        double f1 = Metrics.f1Max(kept(scores, failed), kept(anomalous, failed));
        Double pixelAuroc = null;
        Double aupro = null;
        if (pixelNote == null) {
            int crop = geometry.crop();
            List<float[]> mapList = new ArrayList<>();
            List<boolean[]> maskList = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                if (failed[i]) {
                    continue;
                }
                mapList.add(maps[i]);
                maskList.add(i < nGood ? new boolean[crop * crop] : loadMask(maskFiles.get(i - nGood), geometry));
            }
            float[] allScores = new float[mapList.size() * crop * crop];
            boolean[] allLabels = new boolean[allScores.length];
            for (int i = 0; i < mapList.size(); i++) {
                System.arraycopy(mapList.get(i), 0, allScores, i * crop * crop, crop * crop);
                System.arraycopy(maskList.get(i), 0, allLabels, i * crop * crop, crop * crop);
            }
            pixelAuroc = Metrics.auroc(allScores, allLabels);
            aupro = Metrics.aupro(mapList, maskList, crop, crop, AUPRO_FPR_LIMIT);
        }

        double threshold = bundle.imageThreshold();
        double[] goodScores = kept(Arrays.copyOfRange(scores, 0, nGood), Arrays.copyOfRange(failed, 0, nGood));
        double[] defectScores = kept(Arrays.copyOfRange(scores, nGood, scores.length), Arrays.copyOfRange(failed, nGood, scores.length));
        Map<String, Double> t = new LinkedHashMap<>();
        String[] names = {"decode", "backbone", "score", "post", "total"};
        for (int s = 0; s < names.length; s++) {
            t.put(names[s], round(mean(kept(timings[s], failed))));
        }
        EvalReport report = new EvalReport(imageAuroc, pixelAuroc, aupro, f1, round(fitSeconds), images.size(), t,
                dataset.toString(), trainImages, round(calibrationSeconds), threshold, thresholdSource,
                dev.kensa.fit.ThresholdCalibration.rateAbove(goodScores, threshold),
                dev.kensa.fit.ThresholdCalibration.rateAbove(defectScores, threshold), errors.size(), List.copyOf(errors), backend,
                pixelNote, bundle.method(), bundle.model().describe(), operatingPoints(threshold, goodScores, defectScores),
                fpr0NgList(images, scores, anomalous, failed, goodScores), bundle.pipeline().image());
        // the report shows the scored images only; the unreadable ones are listed by name in the report's errors
        List<Path> scoredImages = new ArrayList<>();
        List<byte[]> scoredHeatmaps = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (!failed[i]) {
                scoredImages.add(images.get(i));
                scoredHeatmaps.add(heatmaps[i]);
            }
        }
        return new Evaluation(report, List.copyOf(scoredImages), kept(scores, failed), kept(anomalous, failed),
                scoredHeatmaps.toArray(new byte[0][]), bundle.calibration());
    }

    private static Path maskOfTest(Path dataset, Path image) {
        String type = image.getParent().getFileName().toString();
        String name = image.getFileName().toString();
        String stem = name.substring(0, name.lastIndexOf('.'));
        Path mask = dataset.resolve("ground_truth").resolve(type).resolve(stem + "_mask.png");
        return java.nio.file.Files.isRegularFile(mask) ? mask : null;
    }

    /** A mask transformed like its image: resize to the square (nearest), centre crop; nonzero = defect. */
    static boolean[] loadMask(Path file, ImageGeometry g) {
        try (Mat m = imread(file.toString(), IMREAD_GRAYSCALE); Mat r = new Mat(); Size size = new Size(g.resize(), g.resize());
             Rect roi = new Rect(g.cropOffset(), g.cropOffset(), g.crop(), g.crop())) {
            if (m == null || m.empty()) {
                throw new KensaException("cannot read mask " + file);
            }
            resize(m, r, size, 0, 0, INTER_NEAREST);
            byte[] px = new byte[g.crop() * g.crop()];
            try (Mat c = new Mat(r, roi); Mat packed = c.clone()) {
                packed.data().get(px);
            }
            boolean[] out = new boolean[px.length];
            for (int i = 0; i < px.length; i++) {
                out[i] = (px[i] & 0xff) > 127;
            }
            return out;
        }
    }

    /** TPR and FPR of the test scores at the shipped threshold and at the thresholds of FPR 0, 1 and 5 %. */
    static List<EvalReport.OperatingPoint> operatingPoints(double shipped, double[] good, double[] defects) {
        List<EvalReport.OperatingPoint> out = new ArrayList<>();
        out.add(point("shipped", shipped, good, defects));
        if (good.length > 0) {
            out.add(point("fpr0", dev.kensa.fit.ThresholdCalibration.threshold(good, 0, 0), good, defects));
            out.add(point("fpr1", dev.kensa.fit.ThresholdCalibration.threshold(good, 0.01, 0), good, defects));
            out.add(point("fpr5", dev.kensa.fit.ThresholdCalibration.threshold(good, 0.05, 0), good, defects));
        }
        return out;
    }

    private static EvalReport.OperatingPoint point(String name, double t, double[] good, double[] defects) {
        return new EvalReport.OperatingPoint(name, t, dev.kensa.fit.ThresholdCalibration.rateAbove(defects, t),
                dev.kensa.fit.ThresholdCalibration.rateAbove(good, t));
    }

    /** The defects above the largest good score, highest first: what is NG at FPR 0 %. */
    private static List<EvalReport.ScoredImage> fpr0NgList(List<Path> images, double[] scores, boolean[] anomalous,
                                                          boolean[] failed, double[] good) {
        double t = good.length == 0 ? Double.NEGATIVE_INFINITY : Arrays.stream(good).max().getAsDouble();
        List<EvalReport.ScoredImage> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (!failed[i] && anomalous[i] && scores[i] > t) {
                out.add(new EvalReport.ScoredImage(images.get(i).toString(), scores[i]));
            }
        }
        out.sort(java.util.Comparator.comparingDouble(EvalReport.ScoredImage::score).reversed());
        return out;
    }

    /** The values of the images that were scored. */
    static double[] kept(double[] v, boolean[] failed) {
        return java.util.stream.IntStream.range(0, v.length).filter(i -> !failed[i]).mapToDouble(i -> v[i]).toArray();
    }

    static boolean[] kept(boolean[] v, boolean[] failed) {
        boolean[] out = new boolean[(int) java.util.stream.IntStream.range(0, v.length).filter(i -> !failed[i]).count()];
        for (int i = 0, j = 0; i < v.length; i++) {
            if (!failed[i]) {
                out[j++] = v[i];
            }
        }
        return out;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
