package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.TestData;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fit} writes calibration.json for every method and every calibration mode, on 8 real bottle images: the
 * scores the threshold was chosen from with their file names, the mode, folds, target and margin, the threshold, and
 * the fit images' quality statistics with the learned limits; listed (checksummed) in the manifest and read back. A
 * fit on a folder with a black frame among the good images is refused before anything is written.
 */
class FitCalibrationRecordTest {
    @TempDir
    static Path tmp;
    static Path train;
    static List<String> trainNames;

    @BeforeAll
    static void images() throws Exception {
        train = Files.createDirectories(tmp.resolve("train/good"));
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 8; i++) {
                Path p = all.get(i * 23);
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        try (var s = Files.list(train)) {
            trainNames = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static FitOptions options(String method, String out) {
        return FitOptions.defaults(train, TestData.backbone(), tmp.resolve(out)).withMethod(method)
                .withMethodOptions(MethodOptions.defaults().withCoresetRatio(0.05));
    }

    /** The record agrees with the fit and the bundle, and survives a read from disk. */
    static CalibrationRecord check(BundleFitter.FitReport r, CalibrationRecord.Method method, Integer folds,
                                   List<String> files) {
        ModelBundle b = r.bundle();
        CalibrationRecord c = b.calibration();
        assertTrue(b.manifest().sha256().containsKey(CalibrationRecord.FILE), "listed and checksummed in the manifest");
        assertEquals(method, c.method());
        assertEquals(folds, c.folds());
        assertEquals(files, c.scores().stream().map(CalibrationRecord.Score::file).toList());
        assertArrayEquals(r.calibrationScores(), c.scoreValues(), 0.0);
        assertEquals(b.imageThreshold(), c.threshold(), 0.0);
        assertEquals(r.goodRejectRate(), c.falseRejects().rate(), 1e-12);
        assertEquals(trainNames, c.quality().images().stream().map(CalibrationRecord.FitImage::file).toList());
        assertEquals("learned(8 images)", c.quality().limits().source());
        for (CalibrationRecord.FitImage f : c.quality().images()) {
            assertEquals(900, f.width());
            assertTrue(c.quality().limits().brightness().contains(f.brightness()), "a fit image passes its own limits");
        }
        assertEquals(c, BundleReader.read(b.dir()).calibration(), "read back as written");
        return c;
    }

    @Test
    void padimKfoldAndLeaveOneOut() {
        BundleFitter.FitReport kfold = BundleFitter.fit(options("padim", "padim-kfold").withHeldOut(HeldOutPlan.Mode.KFOLD), false);
        CalibrationRecord k = check(kfold, CalibrationRecord.Method.KFOLD, 4, trainNames);
        assertEquals(0.01, k.fprTarget());
        assertNull(k.margin(), "the margin applies to fpr 0 only");
        BundleFitter.FitReport loo = BundleFitter.fit(options("padim", "padim-loo").withHeldOut(HeldOutPlan.Mode.LOO), false);
        check(loo, CalibrationRecord.Method.LOO, null, trainNames);
    }

    @Test
    void patchCoreAndGlobalMahalanobis() {
        check(BundleFitter.fit(options("patchcore", "pc-loo"), false), CalibrationRecord.Method.LOO, null, trainNames);
        check(BundleFitter.fit(options("patchcore", "pc-kfold").withHeldOut(HeldOutPlan.Mode.KFOLD), false),
                CalibrationRecord.Method.KFOLD, 4, trainNames);
        check(BundleFitter.fit(options("mahalanobis", "mh-loo"), false), CalibrationRecord.Method.LOO, null, trainNames);
    }

    @Test
    void holdoutDevAndInSample() throws Exception {
        Path holdout = Files.createDirectories(tmp.resolve("holdout"));
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        for (int i = 0; i < 3; i++) {
            String name = String.format("%03d.png", i);
            Files.copy(TestData.bottle().resolve("test/good").resolve(name), holdout.resolve(name));
            Files.createDirectories(dev.resolve("test/good"));
            Files.createDirectories(dev.resolve("test/broken_large"));
            Files.copy(TestData.bottle().resolve("test/good").resolve(name), dev.resolve("test/good").resolve(name));
            Files.copy(TestData.bottle().resolve("test/broken_large").resolve(name), dev.resolve("test/broken_large").resolve(name));
        }
        FitOptions base = options("mahalanobis", "unused");
        FitOptions h = new FitOptions(train, base.backbone(), tmp.resolve("mh-holdout"), holdout, null, null, "mahalanobis",
                null, base.methodOptions(), base.fpr(), base.margin(), null, base.folds(), true, base.resize(), base.crop(),
                base.sigma(), base.batchSize(), base.threads());
        check(BundleFitter.fit(h, false), CalibrationRecord.Method.HOLDOUT, null, List.of("000.png", "001.png", "002.png"));
        FitOptions d = new FitOptions(train, base.backbone(), tmp.resolve("mh-dev"), null, dev, null, "mahalanobis",
                null, base.methodOptions(), 0, base.margin(), null, base.folds(), true, base.resize(), base.crop(),
                base.sigma(), base.batchSize(), base.threads());
        CalibrationRecord dc = check(BundleFitter.fit(d, false), CalibrationRecord.Method.DEV, null,
                List.of("test/good/000.png", "test/good/001.png", "test/good/002.png"));
        assertEquals(0.0, dc.fprTarget());
        assertEquals(0.05, dc.margin(), "fpr 0: largest good score + the margin");
        assertEquals(0, dc.falseRejects().k());
        CalibrationRecord in = check(BundleFitter.fit(options("mahalanobis", "mh-in").withCalibrate(false), false),
                CalibrationRecord.Method.IN_SAMPLE, null, trainNames);
        assertNull(in.driftReference(), "in-sample scores are no reference for drift");
    }

    @Test
    void aBlackFrameAmongTheGoodImagesIsRefusedNamingIt() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad/good"));
        for (String n : trainNames.subList(0, 4)) {
            Files.copy(train.resolve(n), bad.resolve(n));
        }
        ImageIO.write(new BufferedImage(900, 900, BufferedImage.TYPE_3BYTE_BGR), "png", bad.resolve("lens-cap.png").toFile());
        Path out = tmp.resolve("refused");
        KensaException e = assertThrows(KensaException.class, () -> BundleFitter.fit(
                FitOptions.defaults(bad, TestData.backbone(), out), false));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("1 of 5 fit images fail the image-quality floors; first lens-cap.png: "
                + "image-quality: "), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }
}
