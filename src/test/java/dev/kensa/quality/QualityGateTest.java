package dev.kensa.quality;

import dev.kensa.KensaException;
import dev.kensa.TestData;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gates on real MVTec images: limits learned from train/good, camera faults made from a real test image with
 * OpenCV. Bottle is 900x900 (every third training image is measured, to keep the test short), transistor 256x256.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QualityGateTest {
    static final ImagePreprocessor DECODER = new ImagePreprocessor(new ImageGeometry(256, 224),
            new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, "RGB", 0);

    /** Limits learned from the training images; every image measured once (decoding 900x900 PNGs is the cost). */
    record Category(QualityLimits limits, Map<Path, ImageQuality> train, Map<Path, ImageQuality> unseen, Path sample) {
    }

    final Map<String, Category> categories = new HashMap<>();

    @BeforeAll
    void learn() throws IOException {
        categories.put("bottle", category(TestData.bottle(), 3));
        categories.put("transistor", category(TestData.transistor(), 1));
    }

    private static Category category(Path root, int stride) throws IOException {
        List<Path> all = pngs(root.resolve("train/good"));
        List<Path> train = new ArrayList<>();
        for (int i = 0; i < all.size(); i += stride) {
            train.add(all.get(i));
        }
        Map<Path, ImageQuality> trainStats = new LinkedHashMap<>();
        for (Path p : train) {
            trainStats.put(p, measure(p));
        }
        QualityLimits limits = QualityLimits.learn(train.stream().map(p -> p.getFileName().toString()).toList(),
                List.copyOf(trainStats.values()));
        Map<Path, ImageQuality> unseen = new LinkedHashMap<>();
        for (Path p : pngs(root.resolve("test"))) { // test goods and every defect type
            unseen.put(p, measure(p));
        }
        return new Category(limits, trainStats, unseen, root.resolve("test/good/000.png"));
    }

    private static List<Path> pngs(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    static Mat decode(Path p) throws IOException {
        return DECODER.decode(Files.readAllBytes(p));
    }

    static ImageQuality measure(Path p) throws IOException {
        try (Mat m = decode(p)) {
            return ImageQuality.measure(m);
        }
    }

    /** The named failure of {@code gate} on a fault made from the category's real sample image. */
    private QualityGate.Failure fault(QualityGate gate, Path sample, Function<Mat, Mat> makeFault) throws IOException {
        try (Mat original = decode(sample); Mat faulty = makeFault.apply(original)) {
            return gate.check(faulty);
        }
    }

    static Mat solid(Mat like, double v) {
        return new Mat(like.rows(), like.cols(), CV_8UC3, new Scalar(v, v, v, 0));
    }

    /** Gaussian blur of sigma {@code sigma256} pixels at the model's 256 px scale. */
    static Mat blurred(Mat m, double sigma256) {
        Mat out = new Mat();
        try (Size auto = new Size(0, 0)) {
            GaussianBlur(m, out, auto, sigma256 * m.cols() / 256.0);
        }
        return out;
    }

    static Mat resized(Mat m, int w, int h) {
        Mat out = new Mat();
        try (Size s = new Size(w, h)) {
            resize(m, out, s, 0, 0, INTER_AREA);
        }
        return out;
    }

    static Mat scaled(Mat m, double gain) {
        Mat out = new Mat();
        m.convertTo(out, -1, gain, 0); // saturating
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bottle", "transistor"})
    void everyUnseenGoodAndDefectPassesTheLearnedLimits(String name) throws IOException {
        // a defect is for the model to find: it must not come out as a camera fault
        Category c = categories.get(name);
        QualityGate gate = QualityGate.all(c.limits());
        c.unseen().forEach((p, q) -> {
            QualityGate.Failure f = gate.check(q);
            assertNull(f, () -> p + ": " + f.message() + "; " + c.limits().summary());
        });
        assertTrue(c.unseen().size() >= 80, "test images found: " + c.unseen().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bottle", "transistor"})
    void cameraFaultsGetTheirNamedFailure(String name) throws IOException {
        Category c = categories.get(name);
        QualityGate gate = QualityGate.all(c.limits());
        Path s = c.sample();
        assertEquals(QualityGate.Check.BRIGHTNESS, fault(gate, s, m -> solid(m, 0)).check());
        assertEquals(QualityGate.Check.BRIGHTNESS, fault(gate, s, m -> solid(m, 255)).check());
        assertEquals(QualityGate.Check.BRIGHTNESS, fault(gate, s, m -> scaled(m, 0.4)).check(), "lamp failing");
        // over-exposed: a bright part (bottle, mean 138) clips at 255 before its mean leaves the range, and the
        // clipped frame has lost its contrast; a darker one (transistor, mean 80) leaves the brightness range
        QualityGate.Failure over = fault(gate, s, m -> scaled(m, 2.5));
        assertEquals(name.equals("bottle") ? QualityGate.Check.CONTRAST : QualityGate.Check.BRIGHTNESS, over.check(), over.message());
        // a flat frame at the part's own mean grey level: only the contrast is wrong
        assertEquals(QualityGate.Check.CONTRAST, fault(gate, s, m -> solid(m, ImageQuality.measure(m).brightness())).check());
        assertEquals(QualityGate.Check.FOCUS, fault(gate, s, m -> blurred(m, 4)).check());
        assertEquals(QualityGate.Check.FOCUS, fault(gate, s, m -> blurred(m, 1.5)).check(), "slightly out of focus");
        assertEquals(QualityGate.Check.SIZE, fault(gate, s, m -> resized(m, m.cols() / 2, m.rows() / 2)).check());
        assertEquals(QualityGate.Check.SIZE, fault(gate, s, m -> resized(m, 64, 64)).check());
        assertEquals(QualityGate.Check.SIZE, fault(gate, s, m -> resized(m, 1, 1)).check());
        assertNull(fault(gate, s, Mat::clone), "the original passes");
    }

    @Test
    void failureMessagesAreExact() throws IOException {
        Category c = categories.get("bottle");
        QualityGate gate = QualityGate.all(c.limits());
        QualityLimits.Range b = c.limits().brightness();
        assertEquals("image-quality: brightness: 0 outside [" + QualityGate.number(b.lo()) + ", " + QualityGate.number(b.hi()) + "]",
                fault(gate, c.sample(), m -> solid(m, 0)).message());
        assertEquals("image-quality: size: 450x450 outside [900x900, 900x900]",
                fault(gate, c.sample(), m -> resized(m, 450, 450)).message());
        String blur = fault(gate, c.sample(), m -> blurred(m, 4)).message();
        assertTrue(blur.matches("image-quality: focus: [0-9.]+ outside \\[[0-9.]+, [0-9.]+\\]"), blur);
    }

    @Test
    void aspectIsCheckedWhenTheSizeCheckIsOff() throws IOException {
        Category c = categories.get("bottle");
        QualityGate noSize = new QualityGate(c.limits(), EnumSet.complementOf(EnumSet.of(QualityGate.Check.SIZE)));
        QualityGate.Failure f = fault(noSize, c.sample(), m -> {
            try (Rect top = new Rect(0, 0, 900, 600); Mat roi = new Mat(m, top)) {
                return roi.clone();
            }
        });
        assertEquals("image-quality: aspect: 1.5 outside [0.9709, 1.03]", f.message());
        // a rescaled image keeps its aspect and passes when the size check is off
        assertNull(fault(noSize, c.sample(), m -> resized(m, 600, 600)));
    }

    @Test
    void switchedOffChecksAreSkipped() throws IOException {
        Category c = categories.get("bottle");
        QualityGate noBrightness = new QualityGate(c.limits(), EnumSet.complementOf(EnumSet.of(QualityGate.Check.BRIGHTNESS)));
        assertEquals(QualityGate.Check.CONTRAST, fault(noBrightness, c.sample(), m -> solid(m, 0)).check());
        QualityGate off = new QualityGate(c.limits(), EnumSet.noneOf(QualityGate.Check.class));
        assertTrue(off.off());
        assertNull(fault(off, c.sample(), m -> solid(m, 0)));
        try (Mat empty = new Mat()) {
            assertNull(off.check(empty), "an all-off gate does not even measure");
            assertThrows(IllegalArgumentException.class, () -> QualityGate.all(c.limits()).check(empty));
        }
        assertEquals(QualityGate.Check.FOCUS, QualityGate.Check.of("focus"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QualityGate.Check.of("sharpness"));
        assertEquals("unknown image-quality check 'sharpness' (known: size, aspect, brightness, contrast, focus)", e.getMessage());
    }

    @Test
    void withoutLearnedLimitsTheFloorsCatchGrossFaultsAndPassRealImages() throws IOException {
        QualityGate floors = QualityGate.all(null); // a bundle without calibration.json
        assertTrue(floors.limits().isFloors());
        for (String name : List.of("bottle", "transistor")) {
            Category c = categories.get(name);
            c.unseen().forEach((p, q) -> assertNull(floors.check(q), p.toString()));
            Path s = c.sample();
            assertEquals("image-quality: brightness: 0 outside [5, 250]", fault(floors, s, m -> solid(m, 0)).message());
            assertEquals("image-quality: brightness: 255 outside [5, 250]", fault(floors, s, m -> solid(m, 255)).message());
            assertEquals("image-quality: contrast: 0 outside [2, 127.5]", fault(floors, s, m -> solid(m, 128)).message());
            assertEquals("image-quality: size: 64x64 outside [128x128, 65535x65535]", fault(floors, s, m -> resized(m, 64, 64)).message());
            assertEquals(QualityGate.Check.FOCUS, fault(floors, s, m -> blurred(m, 8)).check(), "blurred past any detail");
        }
    }

    @Test
    void aFitOnImagesThatFailTheFloorsIsRefused() throws IOException {
        Category c = categories.get("transistor");
        List<String> files = new ArrayList<>();
        List<ImageQuality> stats = new ArrayList<>();
        for (Map.Entry<Path, ImageQuality> t : List.copyOf(c.train().entrySet()).subList(0, 10)) {
            files.add(t.getKey().getFileName().toString());
            stats.add(t.getValue());
        }
        QualityLimits.learn(files, stats); // fine
        try (Mat original = decode(c.sample()); Mat black = solid(original, 0); Mat flat = solid(original, 128)) {
            files.add(3, "lens-cap.png");
            stats.add(3, ImageQuality.measure(black));
            files.add("flat.png");
            stats.add(ImageQuality.measure(flat));
        }
        KensaException e = assertThrows(KensaException.class, () -> QualityLimits.learn(files, stats));
        assertEquals("2 of 12 fit images fail the image-quality floors; first lens-cap.png: image-quality: brightness: 0 outside [5, 250]",
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bottle", "transistor"})
    void learnedLimitsAreNeverTighterThanTheFitImages(String name) throws IOException {
        Category c = categories.get(name);
        QualityGate gate = QualityGate.all(c.limits());
        c.train().forEach((p, q) -> assertNull(gate.check(q), p.toString()));
        assertNotNull(c.limits().summary());
    }
}
