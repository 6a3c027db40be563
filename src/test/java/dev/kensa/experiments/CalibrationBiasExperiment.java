package dev.kensa.experiments;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A measurement, not a test (tag "experiment", excluded from the build's test run): how far the calibration scores of
 * each held-out mode sit from the scores of good parts the fit never saw ({@code test/good}), per method and category.
 * The threshold is calibrated on the first; the line meets the second. Prints one table row per (category, method,
 * mode): calibration median / p90 / max, test-good median / p90 / max, the threshold and the test goods it rejects.
 * Run: {@code ./mvnw test -Dgroups=experiment -Dkensa.excluded-groups= -Dtest=CalibrationBiasExperiment}
 */
@Tag("experiment")
class CalibrationBiasExperiment {

    static double q(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
    }

    @Test
    void calibrationAgainstUnseenGoods(@TempDir Path tmp) throws Exception {
        String methods = System.getProperty("kensa.experiment.methods", "padim,patchcore,mahalanobis");
        StringBuilder table = new StringBuilder(String.format("%-11s %-12s %-6s %6s | %8s %8s %8s | %8s %8s %8s | %9s %7s %7s%n",
                "category", "method", "mode", "fit s", "cal p50", "cal p90", "cal max", "test p50", "test p90", "test max",
                "threshold", "testFPR", "p50 ratio"));
        for (Path dataset : List.of(TestData.bottle(), TestData.transistor())) {
            List<ImageInput> goods;
            try (var s = Files.list(dataset.resolve("test/good"))) {
                goods = s.sorted().map(ImageInput::of).toList();
            }
            for (String method : methods.split(",")) {
                for (HeldOutPlan.Mode mode : HeldOutPlan.Mode.values()) {
                    Path out = tmp.resolve(dataset.getFileName() + "-" + method + "-" + mode.label);
                    FitOptions o = FitOptions.defaults(dataset.resolve("train/good"), TestData.backbone(), out).withMethod(method)
                            .withHeldOut(mode);
                    long t0 = System.nanoTime();
                    BundleFitter.FitReport fit = BundleFitter.fit(o, false);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    ModelBundle b = fit.bundle();
                    double[] test = new double[goods.size()];
                    try (Inspector in = Inspectors.openCpu(b, 2, 8)) {
                        in.inspect(goods, i -> test[i.index()] = i.result().score());
                    }
                    double[] cal = fit.calibrationScores();
                    double fpr = Arrays.stream(test).filter(v -> v > fit.threshold()).count() / (double) test.length;
                    table.append(String.format("%-11s %-12s %-6s %6.1f | %8.3f %8.3f %8.3f | %8.3f %8.3f %8.3f | %9.3f %7.3f %7.3f%n",
                            dataset.getFileName(), method, mode.label, seconds, q(cal, 0.5), q(cal, 0.9), q(cal, 1), q(test, 0.5),
                            q(test, 0.9), q(test, 1), fit.threshold(), fpr, q(cal, 0.5) / q(test, 0.5)));
                    System.out.print(table.substring(table.lastIndexOf("\n", table.length() - 2) + 1));
                    dev.kensa.util.FileTrees.delete(out);
                }
            }
        }
        System.out.println("calibration bias\n" + table);
        Files.writeString(Path.of(System.getProperty("kensa.experiment.out", "target/calibration-bias.txt")), table.toString());
    }
}
