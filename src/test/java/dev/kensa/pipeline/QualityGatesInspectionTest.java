package dev.kensa.pipeline;

import dev.kensa.TestData;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.gpu.Backends;
import dev.kensa.quality.QualityGate;
import dev.kensa.quality.QualityLimits;
import dev.kensa.testing.CameraFaults;
import dev.kensa.verdict.Verdict;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.kensa.quality.QualityGate.Check.BRIGHTNESS;
import static dev.kensa.quality.QualityGate.Check.CONTRAST;
import static dev.kensa.quality.QualityGate.Check.FOCUS;
import static dev.kensa.quality.QualityGate.Check.SIZE;
import static dev.kensa.testing.CameraFaults.blurred;
import static dev.kensa.testing.CameraFaults.resized;
import static dev.kensa.testing.CameraFaults.scaled;
import static dev.kensa.testing.CameraFaults.solid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image-quality gates where they run: in the inspector's prepare stage, on a real bundle (8 bottle training
 * images, the real backbone) given the limits learned from every third bottle training image. Camera faults made
 * from a real bottle become ERROR results naming their check, in the same batch as real images that are scored.
 */
class QualityGatesInspectionTest {
    @TempDir
    static Path tmp;
    /** The same fitted bundle read before (floors only) and after (learned limits) calibration.json was added. */
    static ModelBundle floors;
    static ModelBundle learned;
    static byte[] sample;

    @BeforeAll
    static void fitAndLearn() throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train"));
        List<Path> all = CameraFaults.pngs(TestData.bottleTrain());
        for (int i = 0; i < 8; i++) {
            Files.copy(all.get(i * 25), train.resolve(all.get(i * 25).getFileName()));
        }
        ModelBundle fitted = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle"))
                .withCalibrate(false), false).bundle();
        floors = BundleReader.read(fitted.dir());
        if (floors.calibration() != null) {
            // a fit that writes learned limits: the floors-only bundle is an older bundle without calibration.json
            Path old = tmp.resolve("old-bundle");
            copyTree(fitted.dir(), old);
            CameraFaults.dropCalibration(old);
            floors = BundleReader.read(old);
        }
        CameraFaults.giveLearnedLimits(fitted, CameraFaults.learn(TestData.bottleTrain(), 3));
        learned = BundleReader.read(fitted.dir());
        assertNotNull(learned.calibration());
        assertNull(floors.calibration());
        sample = Files.readAllBytes(TestData.bottle().resolve("test/good/000.png"));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    static byte[] fault(Function<Mat, Mat> make) {
        try (Mat original = CameraFaults.DECODER.decode(sample)) {
            return CameraFaults.png(make.apply(original));
        }
    }

    /** Inspects named images in one run (one batch of up to 8) and returns the inspections by name. */
    static Map<String, Inspection> inspect(Inspector inspector, Map<String, byte[]> images) {
        List<String> names = new ArrayList<>(images.keySet());
        List<ImageInput> inputs = names.stream().map(n -> ImageInput.of(n, images.get(n), null)).toList();
        Map<String, Inspection> out = new LinkedHashMap<>();
        inspector.inspect(inputs, in -> out.put(names.get(in.index()), in));
        assertEquals(names.size(), out.size());
        return out;
    }

    static Inspector open(ModelBundle bundle, Set<QualityGate.Check> on) {
        return Inspectors.open(bundle, 2, 8, Backends.Options.of("cpu", tmp.resolve("cache")), on);
    }

    static void assertRefused(Inspection in, QualityGate.Check check, String message) {
        assertEquals(Verdict.ERROR, in.result().verdict(), () -> in.result().toString());
        assertEquals(check, in.qualityFailure(), in.result().error());
        assertEquals(message, in.result().error());
        assertNull(in.result().score(), "a camera fault is not scored");
    }

    static String range(QualityLimits.Range r) {
        return "[" + num(r.lo()) + ", " + num(r.hi()) + "]";
    }

    static String num(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    @Test
    void cameraFaultsAreErrorsNamingTheirCheckAgainstTheLearnedLimits() {
        QualityLimits l = learned.calibration().quality().limits();
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("black", fault(m -> solid(m, 0)));
        images.put("original", sample);
        images.put("white", fault(m -> solid(m, 255)));
        images.put("grey-flat", fault(m -> solid(m, 128)));
        images.put("blurred", fault(m -> blurred(m, 4)));
        images.put("1x1", fault(m -> resized(m, 1, 1)));
        images.put("64x64", fault(m -> resized(m, 64, 64)));
        images.put("450x450", fault(m -> resized(m, 450, 450)));
        try (Inspector inspector = open(learned, EnumSet.allOf(QualityGate.Check.class))) {
            assertTrue(inspector.qualityGate().describe().learned());
            Map<String, Inspection> r = inspect(inspector, images);
            assertRefused(r.get("black"), BRIGHTNESS, "image-quality: brightness: 0 outside " + range(l.brightness()));
            assertRefused(r.get("white"), BRIGHTNESS, "image-quality: brightness: 255 outside " + range(l.brightness()));
            // 128 is inside the bottles' brightness range: only the contrast is wrong
            assertTrue(l.brightness().contains(128), l.summary());
            assertRefused(r.get("grey-flat"), CONTRAST, "image-quality: contrast: 0 outside " + range(l.contrast()));
            assertEquals(FOCUS, r.get("blurred").qualityFailure(), r.get("blurred").result().error());
            assertTrue(r.get("blurred").result().error().matches(
                    "image-quality: focus: [0-9.]+ outside \\Q" + range(l.focus()) + "\\E"), r.get("blurred").result().error());
            assertRefused(r.get("1x1"), SIZE, "image-quality: size: 1x1 outside [900x900, 900x900]");
            assertRefused(r.get("64x64"), SIZE, "image-quality: size: 64x64 outside [900x900, 900x900]");
            assertRefused(r.get("450x450"), SIZE, "image-quality: size: 450x450 outside [900x900, 900x900]");
            Inspection original = r.get("original");
            assertTrue(original.scored(), () -> original.result().toString());
            assertNull(original.qualityFailure());
            assertNotNull(original.map());
            // between camera faults in one batch it scores as it does alone: the refused images took no slot
            double alone = inspect(inspector, Map.of("alone", sample)).get("alone").result().score();
            assertEquals(alone, original.result().score(), 1e-4 * alone);
        }
    }

    @Test
    void withoutLearnedLimitsTheFloorsRefuseGrossFaultsAndTheRestIsScored() {
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("black", fault(m -> solid(m, 0)));
        images.put("white", fault(m -> solid(m, 255)));
        images.put("grey-flat", fault(m -> solid(m, 128)));
        images.put("64x64", fault(m -> resized(m, 64, 64)));
        images.put("1x1", fault(m -> resized(m, 1, 1)));
        images.put("blurred-past-any-detail", fault(m -> blurred(m, 8)));
        images.put("450x450", fault(m -> resized(m, 450, 450))); // a size no floor forbids
        images.put("original", sample);
        try (Inspector inspector = open(floors, EnumSet.allOf(QualityGate.Check.class))) {
            assertEquals("floors", inspector.qualityGate().describe().limits());
            Map<String, Inspection> r = inspect(inspector, images);
            assertRefused(r.get("black"), BRIGHTNESS, "image-quality: brightness: 0 outside [5, 250]");
            assertRefused(r.get("white"), BRIGHTNESS, "image-quality: brightness: 255 outside [5, 250]");
            assertRefused(r.get("grey-flat"), CONTRAST, "image-quality: contrast: 0 outside [2, 127.5]");
            assertRefused(r.get("64x64"), SIZE, "image-quality: size: 64x64 outside [128x128, 65535x65535]");
            assertRefused(r.get("1x1"), SIZE, "image-quality: size: 1x1 outside [128x128, 65535x65535]");
            assertEquals(FOCUS, r.get("blurred-past-any-detail").qualityFailure(), r.get("blurred-past-any-detail").result().error());
            assertTrue(r.get("450x450").scored(), () -> r.get("450x450").result().toString());
            assertTrue(r.get("original").scored(), () -> r.get("original").result().toString());
        }
    }

    @Test
    void aCheckSwitchedOffLetsItsImageThrough() {
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("under-exposed", fault(m -> CameraFaults.shifted(m, -45))); // fails brightness only
        images.put("450x450", fault(m -> resized(m, 450, 450))); // fails size only
        try (Inspector all = open(learned, EnumSet.allOf(QualityGate.Check.class));
             Inspector noBrightnessNoSize = open(learned, QualityGate.enabledExcept(List.of("brightness", "size")))) {
            Map<String, Inspection> on = inspect(all, images);
            assertEquals(BRIGHTNESS, on.get("under-exposed").qualityFailure(), on.get("under-exposed").result().error());
            assertEquals(SIZE, on.get("450x450").qualityFailure(), on.get("450x450").result().error());
            assertEquals(List.of("size", "brightness"), noBrightnessNoSize.qualityGate().describe().disabled());
            Map<String, Inspection> off = inspect(noBrightnessNoSize, images);
            for (Inspection in : off.values()) {
                assertTrue(in.scored(), () -> in.result().toString());
                assertNull(in.qualityFailure());
            }
        }
    }

    @Test
    void everyRealTestImageOfBottleAndTransistorPassesThePrepareStageGates() throws Exception {
        // goods and every defect type: a defect is for the model to find, never a "camera fault"
        QualityLimits transistor = CameraFaults.learn(TestData.transistorTrain(), 1).limits();
        Map<Path, QualityLimits> sets = Map.of(TestData.bottle().resolve("test"), learned.calibration().quality().limits(),
                TestData.transistor().resolve("test"), transistor);
        int seen = 0;
        for (var set : sets.entrySet()) {
            List<Path> images = CameraFaults.pngs(set.getKey());
            QualityGate gate = QualityGate.all(set.getValue());
            QualityGate floorsOnly = QualityGate.all(null);
            try (BatchLoader loader = new BatchLoader(CameraFaults.DECODER, 2)) {
                List<PreparedBatch.Item> items = new ArrayList<>();
                loader.forEachBatch(images.stream().map(ImageInput::of).toList(), 8, gate, b -> items.addAll(b.items()));
                for (PreparedBatch.Item it : items) {
                    assertTrue(it.ok(), () -> it.input().source() + ": " + it.error() + "; " + gate.limits().summary());
                    assertNotNull(it.tensor().quality(), "measured in the prepare stage");
                    QualityGate.Failure f = floorsOnly.check(it.tensor().quality());
                    assertNull(f, () -> it.input().source() + " fails the floors: " + f.message());
                }
                seen += items.size();
            }
            // the prepare stage measures on its own resized square what ImageQuality.measure measures on the image
            Path one = images.get(images.size() / 2);
            try (Mat m = CameraFaults.decode(one)) {
                assertEquals(dev.kensa.quality.ImageQuality.measure(m),
                        CameraFaults.DECODER.prepare(m, new float[CameraFaults.DECODER.tensorSize()], 0, true).quality());
            }
        }
        assertEquals(83 + 100, seen);
    }

    @Test
    void theSelfTestIsNotGated() throws Exception {
        // golden images check the model's arithmetic, not a camera: here the bottle bundle carries limits learned on
        // 256x256 transistors, so its own 900x900 self-test images would fail the size gate
        Path dir = tmp.resolve("other-limits");
        copyTree(learned.dir(), dir);
        CameraFaults.giveLearnedLimits(BundleReader.read(dir), CameraFaults.learn(TestData.transistorTrain(), 8));
        ModelBundle other = BundleReader.read(dir);
        try (Inspector inspector = open(other, EnumSet.allOf(QualityGate.Check.class))) {
            Inspection in = inspect(inspector, Map.of("bottle", sample)).get("bottle");
            assertEquals(SIZE, in.qualityFailure(), in.result().toString());
            SelfTest.Result r = SelfTest.run(other, inspector);
            assertTrue(r.passed(), r.summary());
            List<Inspection> got = new ArrayList<>();
            inspector.inspectUngated(List.of(ImageInput.of("bottle", sample, null)), got::add);
            assertTrue(got.get(0).scored(), () -> got.get(0).result().toString());
        }
    }
}
