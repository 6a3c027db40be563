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
     * @param heatmaps heatmap JPEG per test image (null entries when the set is too large to keep them all)
     */
    public record Evaluation(EvalReport report, List<Path> images, double[] scores, boolean[] anomalous, byte[][] heatmaps) {
    }

    /** Test sets up to this size keep every heatmap for the report (about 15 KB each). */
    static final int MAX_KEPT_HEATMAPS = 2000;

    public static EvalReport evaluate(Path dataset, FitOptions fitOptions, boolean progress) {
        return evaluateFull(dataset, fitOptions, progress).report();
    }

    public static Evaluation evaluateFull(Path dataset, FitOptions fitOptions, boolean progress) {
        DevSet test = DevSet.of(dataset.resolve("test"));
        BundleFitter.FitReport fit = BundleFitter.fit(fitOptions, progress);
        ModelBundle bundle = fit.bundle();

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
        int[] errors = {0};
        String backend;
        Progress bar = progress ? new Progress("inspect", images.size()) : Progress.silent(images.size());
        try (Inspector inspector = Inspector.open(bundle, fitOptions.threads(), fitOptions.batchSize())) {
            backend = inspector.describeBackend();
            inspector.inspect(images.stream().map(ImageInput::of).toList(), (Inspection in) -> {
                int i = in.index();
                if (in.map() == null) {
                    errors[0]++;
                    throw new KensaException("test image " + images.get(i) + ": " + in.result().error());
                }
                scores[i] = in.result().score();
                maps[i] = in.map().values();
                if (keepHeatmaps) {
                    heatmaps[i] = inspector.heatmapJpeg(in);
                }
                var t = in.result().timingsMs();
                timings[0][i] = t.decode();
                timings[1][i] = t.backbone();
                timings[2][i] = t.score();
                timings[3][i] = t.post();
                timings[4][i] = t.total();
                bar.advance(1);
            });
        }

        double imageAuroc = Metrics.auroc(scores, anomalous);
        double f1 = Metrics.f1Max(scores, anomalous);
        Double pixelAuroc = null;
        Double aupro = null;
        if (pixelNote == null) {
            int crop = geometry.crop();
            List<float[]> mapList = new ArrayList<>();
            List<boolean[]> maskList = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                mapList.add(maps[i]);
                maskList.add(i < nGood ? new boolean[crop * crop] : loadMask(maskFiles.get(i - nGood), geometry));
            }
            float[] allScores = new float[images.size() * crop * crop];
            boolean[] allLabels = new boolean[allScores.length];
            for (int i = 0; i < images.size(); i++) {
                System.arraycopy(mapList.get(i), 0, allScores, i * crop * crop, crop * crop);
                System.arraycopy(maskList.get(i), 0, allLabels, i * crop * crop, crop * crop);
            }
            pixelAuroc = Metrics.auroc(allScores, allLabels);
            aupro = Metrics.aupro(mapList, maskList, crop, crop, AUPRO_FPR_LIMIT);
        }

        double threshold = bundle.imageThreshold();
        double[] goodScores = Arrays.copyOfRange(scores, 0, nGood);
        double[] defectScores = Arrays.copyOfRange(scores, nGood, scores.length);
        Map<String, Double> t = new LinkedHashMap<>();
        String[] names = {"decode", "backbone", "score", "post", "total"};
        for (int s = 0; s < names.length; s++) {
            t.put(names[s], round(mean(timings[s])));
        }
        EvalReport report = new EvalReport(imageAuroc, pixelAuroc, aupro, f1, round(fit.fitSeconds()), images.size(), t,
                dataset.toString(), fit.images(), round(fit.calibrationSeconds()), threshold, fit.thresholdSource(),
                dev.kensa.fit.ThresholdCalibration.rateAbove(goodScores, threshold),
                dev.kensa.fit.ThresholdCalibration.rateAbove(defectScores, threshold), errors[0], backend, pixelNote);
        return new Evaluation(report, List.copyOf(images), scores, anomalous, heatmaps);
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
