package dev.kensa.score;

import dev.kensa.util.Simd;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Exact nearest-neighbour search of query rows against a fixed bank of rows (Euclidean), the scoring step of
 * PatchCore. Every bank row is compared with every query (no approximation); the comparison is a blocked distance
 * computation in GEMM form, ||q - b||^2 = ||q||^2 + ||b||^2 - 2 q.b, which streams the bank through the cache once per
 * block of queries instead of once per query. The winner's distance is then recomputed directly as sum (q - b)^2, so
 * reported distances do not carry the GEMM form's cancellation error.
 *
 * <p>The dot products run in {@link VectorNearestNeighbours} (Java Vector API: a register-blocked 4-row x 2-vector
 * micro-kernel over the bank packed in column panels) when the JVM has the module, else in a scalar blocked loop that
 * computes the same thing. Thread-safe for concurrent {@link #search} calls; parallel over query blocks.
 */
public final class NearestNeighbours implements AutoCloseable {
    /** Queries per block: one block is one task and reads the bank once. */
    static final int ROWS = 4;

    private final float[] bank;      // [m][d] row-major, as given
    private final int size;
    private final int dims;
    private final float[] norms;     // ||b||^2 per row, padded to the panel width with +inf
    private final VectorNearestNeighbours.Packed packed; // null on the scalar path
    private final ForkJoinPool pool;
    private final int threads;

    /**
     * @param bank [size][dims] row-major; shared, not copied (do not modify)
     */
    public NearestNeighbours(float[] bank, int size, int dims, int threads) {
        this(bank, size, dims, threads, false);
    }

    /** @param forceScalar the scalar kernel even where the Vector API is available (bench comparisons, tests) */
    public NearestNeighbours(float[] bank, int size, int dims, int threads, boolean forceScalar) {
        if (size < 1 || dims < 1 || bank.length < (long) size * dims) {
            throw new IllegalArgumentException("bank of " + size + " x " + dims + " needs " + (long) size * dims
                    + " values, has " + bank.length);
        }
        this.bank = bank;
        this.size = size;
        this.dims = dims;
        this.threads = Math.max(1, threads);
        this.pool = new ForkJoinPool(this.threads);
        this.packed = Simd.available() && !forceScalar ? VectorNearestNeighbours.pack(bank, size, dims) : null;
        int padded = packed != null ? packed.paddedSize() : size;
        this.norms = new float[padded];
        Arrays.fill(norms, Float.POSITIVE_INFINITY);
        for (int m = 0; m < size; m++) {
            double s = 0;
            for (int k = 0; k < dims; k++) {
                float v = bank[m * dims + k];
                s += v * v;
            }
            norms[m] = (float) s;
        }
    }

    public int size() {
        return size;
    }

    public int dims() {
        return dims;
    }

    /** The bank row {@code m} (shared array, offset {@code m * dims()}). */
    public float[] bank() {
        return bank;
    }

    /** "vector" or "scalar": which dot-product kernel this search uses. */
    public String kernel() {
        return packed != null ? "vector" : "scalar";
    }

    /**
     * For each of {@code count} query rows ([count][dims] from index 0): the distance to its nearest bank row
     * (Euclidean, not squared) and that row's index.
     */
    public void search(float[] queries, int count, float[] distances, int[] indices) {
        search(queries, count, distances, indices, 0, 0);
    }

    /**
     * As {@link #search(float[], int, float[], int[])} with bank rows {@code [excludeFrom, excludeTo)} left out (a
     * training image scored against a bank without its own patches). At least one row must remain.
     */
    public void search(float[] queries, int count, float[] distances, int[] indices, int excludeFrom, int excludeTo) {
        if (queries.length < (long) count * dims || distances.length < count || indices.length < count) {
            throw new IllegalArgumentException("buffers too small for " + count + " queries");
        }
        if (excludeTo - excludeFrom >= size) {
            throw new IllegalArgumentException("every bank row is excluded");
        }
        float[] n = norms;
        if (excludeTo > excludeFrom) {
            n = norms.clone();
            Arrays.fill(n, excludeFrom, excludeTo, Float.POSITIVE_INFINITY);
        }
        float[] rowNorms = n;
        int blocks = (count + ROWS - 1) / ROWS;
        Runnable work = () -> IntStream.range(0, blocks).parallel().forEach(b -> {
            int first = b * ROWS;
            int rows = Math.min(ROWS, count - first);
            if (packed != null) {
                VectorNearestNeighbours.block(packed, rowNorms, queries, first, rows, dims, indices);
            } else {
                scalarBlock(rowNorms, queries, first, rows, indices);
            }
            for (int r = 0; r < rows; r++) {
                int q = first + r;
                distances[q] = (float) Math.sqrt(squaredDistance(queries, q * dims, bank, indices[q] * dims, dims));
            }
        });
        if (count <= ROWS || threads == 1) {
            work.run();
        } else {
            pool.submit(work).join();
        }
    }

    /** The scalar twin of the vector kernel: nearest bank row (by ||b||^2 - 2 q.b) of queries [first, first+rows). */
    private void scalarBlock(float[] rowNorms, float[] q, int first, int rows, int[] indices) {
        for (int r = 0; r < rows; r++) {
            int qo = (first + r) * dims;
            float best = Float.POSITIVE_INFINITY;
            int arg = 0;
            for (int m = 0; m < size; m++) {
                int bo = m * dims;
                float dot = 0;
                for (int k = 0; k < dims; k++) {
                    dot += q[qo + k] * bank[bo + k];
                }
                float c = rowNorms[m] - 2 * dot;
                if (c < best) {
                    best = c;
                    arg = m;
                }
            }
            indices[first + r] = arg;
        }
    }

    /** sum (a - b)^2 over {@code dims} values, accumulated in double. */
    public static double squaredDistance(float[] a, int ao, float[] b, int bo, int dims) {
        double s = 0;
        for (int k = 0; k < dims; k++) {
            double d = a[ao + k] - b[bo + k];
            s += d * d;
        }
        return s;
    }

    /**
     * The {@code k} bank rows nearest to {@code query} (at {@code offset}), nearest first, by a plain scan: for the
     * few single lookups PatchCore's image score needs, and as the reference in tests.
     */
    public static int[] nearest(float[] bank, int size, int dims, float[] query, int offset, int k) {
        int kk = Math.min(k, size);
        int[] best = new int[kk];
        double[] bestD = new double[kk];
        Arrays.fill(bestD, Double.POSITIVE_INFINITY);
        for (int m = 0; m < size; m++) {
            double d = squaredDistance(query, offset, bank, m * dims, dims);
            if (d < bestD[kk - 1]) {
                int i = kk - 1;
                while (i > 0 && bestD[i - 1] > d) {
                    bestD[i] = bestD[i - 1];
                    best[i] = best[i - 1];
                    i--;
                }
                bestD[i] = d;
                best[i] = m;
            }
        }
        return best;
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
