package dev.kensa.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.bundle.BundleJson;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.quality.ImageQuality;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Camera faults made with OpenCV from a real image (a black or blown-out frame, a flat grey one, a lens out of focus,
 * a wrong resolution), as PNG bytes a source would send; and a bundle given image-quality limits learned from real
 * training images (a calibration.json listed in its manifest).
 */
public final class CameraFaults {
    private CameraFaults() {
    }

    public static final ImagePreprocessor DECODER = new ImagePreprocessor(new ImageGeometry(256, 224),
            new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, "RGB", 0);

    public static Mat decode(Path p) throws IOException {
        return DECODER.decode(Files.readAllBytes(p));
    }

    public static Mat solid(Mat like, double v) {
        return new Mat(like.rows(), like.cols(), CV_8UC3, new Scalar(v, v, v, 0));
    }

    /** Gaussian blur of sigma {@code sigma256} pixels at the model's 256 px scale. */
    public static Mat blurred(Mat m, double sigma256) {
        Mat out = new Mat();
        try (Size auto = new Size(0, 0)) {
            GaussianBlur(m, out, auto, sigma256 * m.cols() / 256.0);
        }
        return out;
    }

    public static Mat resized(Mat m, int w, int h) {
        Mat out = new Mat();
        try (Size s = new Size(w, h)) {
            resize(m, out, s, 0, 0, INTER_AREA);
        }
        return out;
    }

    /** Every pixel times {@code gain}, saturating: a dimmer or brighter lamp, a wrong exposure. */
    public static Mat scaled(Mat m, double gain) {
        Mat out = new Mat();
        m.convertTo(out, -1, gain, 0);
        return out;
    }

    /** Every pixel plus {@code offset}, saturating: a brighter or darker exposure that keeps most of the contrast. */
    public static Mat shifted(Mat m, double offset) {
        Mat out = new Mat();
        m.convertTo(out, -1, 1, offset);
        return out;
    }

    /** Lossless PNG bytes of {@code m}; closes {@code m}. */
    public static byte[] png(Mat m) {
        try (Mat image = m; BytePointer buf = new BytePointer()) {
            if (!imencode(".png", image, buf)) {
                throw new IllegalStateException("cannot encode PNG");
            }
            byte[] out = new byte[(int) buf.limit()];
            buf.get(out);
            return out;
        }
    }

    public static List<Path> pngs(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    public static ImageQuality measure(Path p) throws IOException {
        try (Mat m = decode(p)) {
            return ImageQuality.measure(m);
        }
    }

    /** Quality limits learned (the fit's rule) from every {@code stride}-th image of {@code train}. */
    public static CalibrationRecord.Quality learn(Path train, int stride) throws IOException {
        List<Path> all = pngs(train);
        List<String> files = new ArrayList<>();
        List<ImageQuality> stats = new ArrayList<>();
        for (int i = 0; i < all.size(); i += stride) {
            files.add(train.relativize(all.get(i)).toString());
            stats.add(measure(all.get(i)));
        }
        return CalibrationRecord.Quality.learn(files, stats);
    }

    /**
     * Makes a bundle directory an older bundle, without calibration.json (gates on the floors only): removes the file
     * and its manifest entry when a fit wrote one; nothing otherwise.
     */
    public static void dropCalibration(Path dir) throws IOException {
        Path file = dir.resolve(CalibrationRecord.FILE);
        ObjectNode manifest = (ObjectNode) BundleJson.MAPPER.readTree(dir.resolve("manifest.json").toFile());
        if (manifest.get("sha256").has(CalibrationRecord.FILE)) {
            ((ObjectNode) manifest.get("sha256")).remove(CalibrationRecord.FILE);
            BundleJson.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("manifest.json").toFile(), manifest);
        }
        Files.deleteIfExists(file);
    }

    /**
     * Writes {@code quality} into the bundle's calibration.json and lists it in the manifest: the bundle's own record
     * with its quality part replaced when it has one, else an in-sample record of its self-test scores (real scores
     * of real images, recorded at its fit).
     */
    public static void giveLearnedLimits(ModelBundle bundle, CalibrationRecord.Quality quality) throws IOException {
        CalibrationRecord own = bundle.calibration();
        CalibrationRecord r;
        if (own != null) {
            r = CalibrationRecord.of(own.method(), own.folds(), own.fprTarget(), own.margin(), own.threshold(), own.scores(), quality);
        } else {
            List<CalibrationRecord.Score> scores = new ArrayList<>();
            for (ModelBundle.SelfTestImage t : bundle.selfTests()) {
                scores.add(new CalibrationRecord.Score(t.file().getFileName().toString(), t.expectedScore()));
            }
            r = CalibrationRecord.of(CalibrationRecord.Method.IN_SAMPLE, null, 0.01, null, bundle.imageThreshold(), scores, quality);
        }
        Path dir = bundle.dir();
        r.write(dir.resolve(CalibrationRecord.FILE));
        ObjectNode manifest = (ObjectNode) BundleJson.MAPPER.readTree(dir.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.get("sha256")).put(CalibrationRecord.FILE,
                Checksums.sha256Hex(Files.readAllBytes(dir.resolve(CalibrationRecord.FILE))));
        BundleJson.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("manifest.json").toFile(), manifest);
    }
}
