package dev.kensa.experiments;

import dev.kensa.TestData;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.quality.ImageQuality;
import dev.kensa.quality.QualityGate;
import dev.kensa.quality.QualityLimits;
import dev.kensa.testing.CameraFaults;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A measurement, not a test (tag "experiment"): how far the real test images (goods and every defect type) of bottle
 * and transistor sit inside the image-quality limits learned, by the fit's rule, from all their training goods; and
 * where the floors are. Per statistic and test folder: the lowest and highest value and the margin to the nearer
 * limit as a factor (1.31x: the value could fall or rise by 31 % before the gate refuses it).
 * Run: {@code ./mvnw test -Dgroups=experiment -Dkensa.excluded-groups= -Dtest=QualityMarginsExperiment}
 */
@Tag("experiment")
class QualityMarginsExperiment {

    record Stat(String name, ToDoubleFunction<ImageQuality> value, java.util.function.Function<QualityLimits, QualityLimits.Range> range) {
    }

    static final List<Stat> STATS = List.of(
            new Stat("brightness", ImageQuality::brightness, QualityLimits::brightness),
            new Stat("contrast", ImageQuality::contrast, QualityLimits::contrast),
            new Stat("focus", ImageQuality::focus, QualityLimits::focus),
            new Stat("aspect", ImageQuality::aspect, QualityLimits::aspect));

    @Test
    void marginsOfRealTestImages() throws Exception {
        StringBuilder out = new StringBuilder();
        for (Path dataset : List.of(TestData.bottle(), TestData.transistor())) {
            CalibrationRecord.Quality q = CameraFaults.learn(dataset.resolve("train/good"), 1);
            QualityLimits l = q.limits();
            out.append("\n").append(dataset.getFileName()).append(": ").append(l.summary()).append('\n');
            Map<String, List<ImageQuality>> byFolder = new LinkedHashMap<>();
            for (Path p : CameraFaults.pngs(dataset.resolve("test"))) {
                byFolder.computeIfAbsent(p.getParent().getFileName().toString(), k -> new ArrayList<>()).add(CameraFaults.measure(p));
            }
            byFolder.put("train/good", q.images().stream().map(CalibrationRecord.FitImage::quality).toList());
            QualityGate learned = QualityGate.all(l);
            QualityGate floors = QualityGate.all(null);
            out.append(String.format(Locale.ROOT, "  %-14s %4s %5s %6s", "folder", "n", "fail", "floors"));
            for (Stat s : STATS) {
                out.append(String.format(Locale.ROOT, " | %-10s %8s %8s %6s", s.name(), "min", "max", "margin"));
            }
            out.append('\n');
            for (var e : byFolder.entrySet()) {
                List<ImageQuality> qs = e.getValue();
                long fail = qs.stream().filter(x -> learned.check(x) != null).count();
                long failFloors = qs.stream().filter(x -> floors.check(x) != null).count();
                out.append(String.format(Locale.ROOT, "  %-14s %4d %5d %6d", e.getKey(), qs.size(), fail, failFloors));
                for (Stat s : STATS) {
                    double min = qs.stream().mapToDouble(s.value()).min().orElseThrow();
                    double max = qs.stream().mapToDouble(s.value()).max().orElseThrow();
                    QualityLimits.Range r = s.range().apply(l);
                    double margin = Math.min(min / r.lo(), r.hi() / max);
                    out.append(String.format(Locale.ROOT, " | %-10s %8.2f %8.2f %5.2fx", "", min, max, margin));
                }
                out.append('\n');
            }
        }
        // small fits (as the tests' bundles: the first n training images): which test images their limits refuse
        for (Path dataset : List.of(TestData.bottle(), TestData.transistor())) {
            List<Path> train = CameraFaults.pngs(dataset.resolve("train/good"));
            List<ImageQuality> trainStats = new ArrayList<>();
            for (Path p : train) {
                trainStats.add(CameraFaults.measure(p));
            }
            List<Path> tests = CameraFaults.pngs(dataset.resolve("test"));
            List<ImageQuality> testStats = new ArrayList<>();
            for (Path p : tests) {
                testStats.add(CameraFaults.measure(p));
            }
            for (int n : new int[]{8, 10, 12, 24, 50, 100}) {
                List<ImageQuality> fit = trainStats.subList(0, n);
                QualityLimits l = QualityLimits.learn(java.util.Collections.nCopies(n, "x"), fit);
                QualityGate g = QualityGate.all(l);
                Map<String, Integer> refused = new LinkedHashMap<>();
                for (int i = 0; i < tests.size(); i++) {
                    QualityGate.Failure f = g.check(testStats.get(i));
                    if (f != null) {
                        refused.merge(tests.get(i).getParent().getFileName() + "/" + f.check().id(), 1, Integer::sum);
                    }
                }
                out.append(String.format(Locale.ROOT, "%s first %d train images: %s; refused %s%n", dataset.getFileName(), n,
                        l.summary(), refused));
            }
        }
        System.out.println(out);
    }
}
