package dev.kensa.experiments;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.drift.DriftMonitor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.quality.QualityGate;
import dev.kensa.testing.DriftBundle;
import dev.kensa.testing.ShiftedImages;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * How far the bottle test goods' scores move when darkened or blurred, for the drift IT: the bundle DriftIT uses (12
 * training images, 30 other training images as held-out calibration goods), the z of a 40-score window of the 20 test
 * goods twice, and whether the changed images still pass the bundle's learned quality limits (so the gates do not
 * turn them into ERRORs, which the drift monitor never sees). Run: -Dgroups=experiment -Dkensa.excluded-groups=
 */
@Tag("experiment")
class DriftShiftExperiment {
    @TempDir
    Path tmp;

    @Test
    void measure() throws Exception {
        List<Path> all = DriftBundle.trainingImages();
        long t0 = System.nanoTime();
        ModelBundle b = DriftBundle.fit(tmp, tmp.resolve("b"), null);
        System.out.printf("fit %.1f s%n", (System.nanoTime() - t0) / 1e9);
        CalibrationRecord c = b.calibration();
        QualityGate gate = QualityGate.all(c.quality().limits());
        System.out.println(dev.kensa.calibration.CalibrationView.falseRejectLine(c) + "\n" + c.quality().limits().summary());
        List<byte[]> goods = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            goods.add(Files.readAllBytes(Boolean.getBoolean("drift.testGoods")
                    ? TestData.bottle().resolve(String.format("test/good/%03d.png", i)) : all.get(DriftBundle.FIRST_UNSEEN + i)));
        }
        try (Inspector inspector = Inspectors.openCpu(b, 2, 4)) {
            run("original", goods, x -> x, inspector, c, gate);
            for (double f : new double[]{0.85, 1.15, 1.3}) {
                run("darkened x" + f, goods, x -> ShiftedImages.darkened(x, f), inspector, c, gate);
            }
            for (double s : new double[]{1.5, 2.5}) {
                run("blurred sigma " + s, goods, x -> ShiftedImages.blurred(x, s), inspector, c, gate);
            }
            for (int px : new int[]{15, 30, 60}) {
                run("moved " + px + " px", goods, x -> ShiftedImages.moved(x, px, px / 2), inspector, c, gate);
            }
        }
    }

    static void run(String name, List<byte[]> goods, UnaryOperator<byte[]> change, Inspector inspector, CalibrationRecord c,
                    QualityGate gate) throws Exception {
        List<ImageInput> in = new ArrayList<>();
        int failing = 0;
        String failure = null;
        for (int i = 0; i < goods.size(); i++) {
            byte[] x = change.apply(goods.get(i));
            in.add(ImageInput.of(name + i, x));
            try (org.bytedeco.javacpp.BytePointer p = new org.bytedeco.javacpp.BytePointer(x);
                 org.bytedeco.opencv.opencv_core.Mat raw = new org.bytedeco.opencv.opencv_core.Mat(1, x.length,
                         org.bytedeco.opencv.global.opencv_core.CV_8U, p);
                 org.bytedeco.opencv.opencv_core.Mat m = org.bytedeco.opencv.global.opencv_imgcodecs.imdecode(raw, 1)) {
                QualityGate.Failure f = gate.check(m);
                if (f != null) {
                    failing++;
                    failure = f.message();
                }
            }
        }
        double[] scores = new double[in.size()];
        // an image the inspector's own quality gate refuses is an ERROR result with no score: the monitor never sees it
        inspector.inspect(in, r -> scores[r.index()] = r.result().score() == null ? Double.NaN : r.result().score());
        DriftMonitor m = new DriftMonitor(40);
        m.reset("m", c.driftReference());
        int firstWarning = -1;
        for (int k = 0; k < 40; k++) {
            if (!Double.isNaN(scores[k % 20])) {
                m.add("m", scores[k % 20]);
            }
            if (firstWarning < 0 && m.state() == DriftMonitor.State.WARNING) {
                firstWarning = k + 1;
            }
        }
        DriftMonitor.Snapshot s = m.snapshot();
        double mean = java.util.Arrays.stream(scores).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
        System.out.printf("%-18s mean score %.2f, z %.2f (%s, median ratio %.3f), gate failures %d %s%n", name, mean,
                s.statistic(), s.state().id(), s.medianRatio(), failing, failure == null ? "" : failure);
    }
}
