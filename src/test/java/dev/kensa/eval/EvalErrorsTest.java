package dev.kensa.eval;

import dev.kensa.TestData;
import dev.kensa.fit.FitOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An unreadable test image is counted, named with its reason in the report, and left out of every figure; the run
 * goes on. (Before, eval counted it and then threw, so the report's error count could never be anything but 0.) A
 * test image that fails an image-quality gate (a box would answer it with ERROR, not a verdict) is treated the same,
 * named with the check.
 */
class EvalErrorsTest {

    @Test
    void aCorruptTestImageAndACameraFaultAreReportedByNameAndLeftOutOfTheFigures(@TempDir Path tmp) throws Exception {
        Path set = tmp.resolve("set");
        Path train = Files.createDirectories(set.resolve("train/good"));
        try (var s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().limit(8).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        for (String type : List.of("good", "broken_large")) {
            Path dir = Files.createDirectories(set.resolve("test").resolve(type));
            try (var s = Files.list(TestData.bottle().resolve("test").resolve(type))) {
                for (Path p : s.sorted().limit(2).toList()) {
                    Files.copy(p, dir.resolve(p.getFileName()));
                }
            }
            if (type.equals("broken_large")) {
                Path masks = Files.createDirectories(set.resolve("ground_truth").resolve(type));
                for (String n : List.of("000", "001", "002")) {
                    Files.copy(TestData.bottle().resolve("ground_truth/broken_large/000_mask.png"), masks.resolve(n + "_mask.png"));
                }
            }
        }
        Path corrupt = set.resolve("test/broken_large/002.png");
        Files.write(corrupt, new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Path black = set.resolve("test/good/099.png");
        try (org.bytedeco.opencv.opencv_core.Mat m = dev.kensa.testing.CameraFaults.decode(TestData.bottle().resolve("test/good/000.png"))) {
            Files.write(black, dev.kensa.testing.CameraFaults.png(dev.kensa.testing.CameraFaults.solid(m, 0)));
        }
        FitOptions o = FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle"));
        Evaluator.Evaluation e = Evaluator.evaluateFull(set, o, false);
        EvalReport r = e.report();
        assertEquals(6, r.images(), "every test image is counted");
        assertEquals(2, r.errors());
        assertEquals(2, r.errorImages().size());
        assertTrue(r.errorImages().get(0).startsWith(black + ": image-quality: brightness: 0 outside ["), r.errorImages().toString());
        assertTrue(r.errorImages().get(1).startsWith(corrupt.toString() + ": "), r.errorImages().toString());
        assertEquals(4, e.scores().length, "the report's images are the scored ones");
        assertTrue(r.imageAuroc() >= 0 && r.imageAuroc() <= 1);
        assertTrue(r.pixelAuroc() != null, "pixel metrics over the images that were read");
    }
}
