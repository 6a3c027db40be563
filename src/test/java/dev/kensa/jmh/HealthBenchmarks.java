package dev.kensa.jmh;

import dev.kensa.drift.DriftMonitor;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.quality.ImageQuality;
import dev.kensa.quality.QualityGate;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.Mat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The per-image cost of field health: the image-quality statistics of a decoded real image (bottle 900x900,
 * transistor 256x256; the gates add this to every inspection) and one drift-monitor update (500-score window,
 * 209-score reference). Data from KENSA_DATA (default ../shared/data). Run like KernelBenchmarks (README.md
 * "Benchmarks") with {@code HealthBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Benchmark)
public class HealthBenchmarks {
    @Param({"mvtec/bottle/test/good/000.png", "mvtec256/transistor/test/good/000.png"})
    String image;

    Mat decoded;
    Mat square;
    final QualityGate gate = QualityGate.all(null);
    DriftMonitor drift;
    double[] scores;
    int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String env = System.getenv("KENSA_DATA");
        Path root = Path.of(env != null && !env.isBlank() ? env : "../shared/data");
        ImagePreprocessor decoder = new ImagePreprocessor(new ImageGeometry(256, 224),
                new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, "RGB", 0);
        decoded = decoder.decode(Files.readAllBytes(root.resolve(image)));
        square = new Mat();
        try (Size size = new Size(ImageQuality.SIDE, ImageQuality.SIDE)) {
            boolean down = decoded.cols() >= ImageQuality.SIDE && decoded.rows() >= ImageQuality.SIDE;
            resize(decoded, square, size, 0, 0, down ? INTER_AREA : INTER_LINEAR);
        }
        Random r = new Random(1);
        double[] reference = new double[209];
        for (int i = 0; i < reference.length; i++) {
            reference[i] = 12 * Math.exp(0.25 * r.nextGaussian());
        }
        drift = new DriftMonitor(500, 100, Clock.systemUTC());
        drift.reset("m", reference);
        scores = new double[4096];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 12 * Math.exp(0.25 * r.nextGaussian());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoded.close();
        square.close();
    }

    @Benchmark
    public ImageQuality imageQuality() {
        return ImageQuality.measure(decoded);
    }

    /**
     * What the gates add to an inspection: the statistics of the 256x256 square the preprocessing has already
     * resized the image to, and the five checks.
     */
    @Benchmark
    public QualityGate.Failure qualityGateOnResizedSquare() {
        return gate.check(ImageQuality.ofSquare(square, decoded.cols(), decoded.rows()));
    }

    @Benchmark
    public DriftMonitor.State driftAdd() {
        drift.add("m", scores[next++ & 4095]);
        return drift.state();
    }
}
