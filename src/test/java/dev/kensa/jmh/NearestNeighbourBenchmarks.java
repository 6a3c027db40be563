package dev.kensa.jmh;

import dev.kensa.score.NearestNeighbours;
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
 * PatchCore's exact nearest-neighbour search at production size (one image: 784 patches of 384 dims against a bank
 * of 1,639 rows, 1 % of 209 bottle images), side by side: the naive loop (every query against every row, distance
 * by subtraction), the blocked GEMM-form search with its scalar kernel, and with the Vector API kernel. Times are per
 * image. Run: {@code java -cp ... org.openjdk.jmh.Main NearestNeighbourBenchmarks} (README.md "Speed").
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx1g"})
@State(Scope.Benchmark)
public class NearestNeighbourBenchmarks {
    static final int QUERIES = 784, DIMS = 384;

    @Param({"1639"})
    int bankRows;

    @Param({"naive", "blocked-scalar", "blocked-vector"})
    String kernel;

    @Param({"2"})
    int threads;

    float[] bank;
    float[] queries;
    float[] distances;
    int[] indices;
    NearestNeighbours search;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(1);
        bank = new float[bankRows * DIMS];
        queries = new float[QUERIES * DIMS];
        for (int i = 0; i < bank.length; i++) {
            bank[i] = (float) Math.abs(r.nextGaussian());
        }
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) Math.abs(r.nextGaussian());
        }
        distances = new float[QUERIES];
        indices = new int[QUERIES];
        if (!kernel.equals("naive")) {
            search = new NearestNeighbours(bank, bankRows, DIMS, threads, kernel.equals("blocked-scalar"));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (search != null) {
            search.close();
        }
    }

    @Benchmark
    public float[] nearestNeighbours() {
        if (search != null) {
            search.search(queries, QUERIES, distances, indices);
            return distances;
        }
        // the naive loop: one query, one row, one subtraction at a time (parallel over queries like the others)
        java.util.stream.IntStream.range(0, QUERIES).parallel().forEach(q -> {
            double best = Double.POSITIVE_INFINITY;
            for (int m = 0; m < bankRows; m++) {
                double s = 0;
                for (int k = 0; k < DIMS; k++) {
                    float d = queries[q * DIMS + k] - bank[m * DIMS + k];
                    s += d * d;
                }
                best = Math.min(best, s);
            }
            distances[q] = (float) Math.sqrt(best);
        });
        return distances;
    }
}
