package dev.kensa.pipeline;

import dev.kensa.KensaException;
import dev.kensa.bundle.BundleDraft;
import dev.kensa.bundle.ModelBundle;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * The bundle's golden images: made when a bundle is fitted or imported ({@link #make}), then scored by the loaded
 * model at every load and compared with the scores recorded then ({@link #run}). A mismatch means the backbone, the
 * statistics or the preprocessing are not what the bundle was fitted with.
 */
public final class SelfTest {
    private SelfTest() {
    }

    public record Check(String file, double expected, double actual, double tolerance, String error) {
        public boolean passed() {
            return error == null && Math.abs(actual - expected) <= tolerance;
        }
    }

    public record Result(List<Check> checks) {
        public boolean passed() {
            return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
        }

        public String summary() {
            StringBuilder sb = new StringBuilder();
            for (Check c : checks) {
                sb.append(String.format("%s %s expected %.5f got %.5f (tolerance %.5f)%s%n", c.passed() ? "ok  " : "FAIL",
                        c.file(), c.expected(), c.actual(), c.tolerance(), c.error() == null ? "" : " " + c.error()));
            }
            sb.append(passed() ? "self-test passed" : checks.isEmpty() ? "self-test FAILED: the bundle has no self-test images"
                    : "self-test FAILED");
            return sb.toString();
        }
    }

    public static Result run(ModelBundle bundle, int threads) {
        try (Inspector inspector = Inspectors.open(bundle, threads, 4)) {
            return run(bundle, inspector);
        }
    }

    public static Result run(ModelBundle bundle, Inspector inspector) {
        List<ModelBundle.SelfTestImage> images = bundle.selfTests();
        List<Check> checks = new ArrayList<>();
        // no quality gates: golden images test the model's arithmetic, whatever they look like
        inspector.inspectUngated(images.stream().map(i -> ImageInput.of(i.file())).toList(), in -> {
            ModelBundle.SelfTestImage img = images.get(in.index());
            String name = bundle.dir().relativize(img.file()).toString();
            if (!in.scored()) {
                checks.add(new Check(name, img.expectedScore(), Double.NaN, img.tolerance(), in.result().error()));
            } else {
                checks.add(new Check(name, img.expectedScore(), in.result().score(), img.tolerance(), null));
            }
        });
        return new Result(checks);
    }

    /**
     * Makes the golden images a new bundle is checked with at every load: three of the images (first, middle, last; the
     * training images of a fit, the images given to an import), stored already resized to the pipeline's
     * {@code resize} square so the PNG is small and decodes to exactly the backbone's input, with the score
     * {@code inspector} gives them.
     */
    public static List<BundleDraft.SelfTestDraft> make(List<Path> train, Inspector inspector, int resize) {
        if (train.isEmpty()) {
            return List.of();
        }
        int[] picks = {0, train.size() / 2, train.size() - 1};
        List<ImageInput> inputs = new ArrayList<>();
        List<byte[]> pngs = new ArrayList<>();
        try {
            for (int i : Arrays.stream(picks).distinct().toArray()) {
                byte[] png;
                try {
                    png = resizedPng(Files.readAllBytes(train.get(i)), resize);
                } catch (KensaException e) {
                    throw new KensaException(e.getMessage() + " " + train.get(i), e);
                }
                pngs.add(png);
                inputs.add(ImageInput.of("selftest-" + pngs.size(), png));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double[] expected = new double[inputs.size()];
        inspector.inspect(inputs, in -> {
            if (!in.scored()) {
                throw new KensaException("self-test image " + in.result().source() + ": " + in.result().error());
            }
            expected[in.index()] = in.result().score();
        });
        List<BundleDraft.SelfTestDraft> out = new ArrayList<>();
        for (int i = 0; i < pngs.size(); i++) {
            // ONNX Runtime differs across CPUs (x86 vs arm64, SIMD width) by ~1e-5 relative; 0.5 % still catches a
            // wrong backbone, wrong statistics or a changed preprocessing
            out.add(new BundleDraft.SelfTestDraft(i + ".png", pngs.get(i), expected[i], Math.max(1e-4, 0.005 * expected[i])));
        }
        return out;
    }

    static byte[] resizedPng(byte[] encoded, int side) {
        try (BytePointer data = new BytePointer(encoded);
             Mat raw = new Mat(1, encoded.length, CV_8U, data);
             Mat image = imdecode(raw, IMREAD_COLOR);
             Mat small = new Mat();
             Size size = new Size(side, side);
             BytePointer png = new BytePointer()) {
            if (image.empty()) {
                throw new KensaException("cannot decode self-test image");
            }
            boolean down = image.cols() >= side && image.rows() >= side;
            resize(image, small, size, 0, 0, down ? INTER_AREA : INTER_LINEAR);
            if (!imencode(".png", small, png)) {
                throw new KensaException("cannot encode self-test PNG");
            }
            byte[] out = new byte[(int) png.limit()];
            png.get(out);
            return out;
        }
    }
}
