package dev.kensa.jmh;

import dev.kensa.post.AnomalyMapBuilder;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorer;
import dev.kensa.score.MahalanobisScorers;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The hot kernels at production size (d = 100, 56 x 56 patches, 224 x 224 maps), scalar and vector side by side
 * in one run. Times are per call: divide the Mahalanobis figures by {@code batch} for ms/image.
 * Run: see README.md "Benchmarks".
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx1g"})
@State(Scope.Benchmark)
public class KernelBenchmarks {
    static final int D = 100, GRID = 56, P = GRID * GRID;

    @Param({"1", "8"})
    int batch;

    @Param({"scalar-f32", "vector-f32", "vector-f16"})
    String kernel;

    float[] embeddings;
    float[] distances;
    MahalanobisScorer scorer;
    AnomalyMapBuilder maps;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(1);
        int packed = GaussianStats.packedSize(D);
        float[] mean = new float[P * D];
        float[] w = new float[P * packed];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        GaussianStats stats = GaussianStats.ofFloat32(GRID, GRID, D, mean, w);
        scorer = switch (kernel) {
            case "scalar-f32" -> MahalanobisScorers.scalar(stats, 2);
            case "vector-f32" -> MahalanobisScorers.vector(stats, 2);
            default -> MahalanobisScorers.vector(stats.toFloat16(), 2);
        };
        embeddings = new float[batch * P * D];
        for (int i = 0; i < embeddings.length; i++) {
            embeddings[i] = (float) r.nextGaussian();
        }
        distances = new float[batch * P];
        maps = new AnomalyMapBuilder(GRID, GRID, 224, 4.0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scorer.close();
    }

    @Benchmark
    public float[] mahalanobis() {
        scorer.score(embeddings, batch, distances);
        return distances;
    }

    /** Upsample + blur + max of one image; independent of the kernel and batch parameters. */
    @Benchmark
    public float postProcess() {
        return maps.build(distances, 0).score();
    }
}
