package dev.kensa.method.padim;

import java.util.stream.IntStream;

/**
 * Streaming first and second moments of patch embeddings, so a fit never holds N x P x d embeddings: per patch
 * position, the sum of (x - shift) and the packed lower triangle of the sum of (x - shift)(x - shift)^T.
 *
 * <p>The shift is the first image's embedding: with roughly centred data the float32 cross sums lose nothing
 * that matters next to eps = 0.01 (cancellation in S - n m m^T is what hurts, and the shift removes it), and
 * float32 halves the memory of k fold accumulators. Accumulators with the same shift add and subtract, which is
 * how k-fold models are made without a second pass over the images.
 */
public final class GaussianAccumulator {
    private final int positions;
    private final int dims;
    private final int packed;
    private final float[] shift;   // [P][d], shared between the folds of one fit
    private final double[] sum;    // [P][d]
    private final float[] cross;   // [P][d(d+1)/2]
    private int count;

    public GaussianAccumulator(int positions, int dims, float[] shift) {
        this.positions = positions;
        this.dims = dims;
        this.packed = dims * (dims + 1) / 2;
        if (shift.length != positions * dims) {
            throw new IllegalArgumentException("shift must be P*d");
        }
        this.shift = shift;
        this.sum = new double[positions * dims];
        this.cross = new float[Math.multiplyExact(positions, packed)];
    }

    public int count() {
        return count;
    }

    public int positions() {
        return positions;
    }

    public int dims() {
        return dims;
    }

    float[] shift() {
        return shift;
    }

    double[] sum() {
        return sum;
    }

    float[] cross() {
        return cross;
    }

    /** Adds a batch of embeddings, [batch][P][d]; parallel over positions. */
    public void add(float[] embeddings, int batch) {
        add(embeddings, 0, batch);
    }

    /** Adds {@code batch} embeddings starting at {@code offset} of a [..][P][d] array. */
    public void add(float[] embeddings, int offset, int batch) {
        int d = dims;
        IntStream.range(0, positions).parallel().forEach(p -> {
            float[] z = new float[d];
            int so = p * d;
            int co = p * packed;
            for (int n = 0; n < batch; n++) {
                int eo = offset + (n * positions + p) * d;
                for (int i = 0; i < d; i++) {
                    z[i] = embeddings[eo + i] - shift[so + i];
                    sum[so + i] += z[i];
                }
                for (int i = 0, row = co; i < d; row += ++i) {
                    float zi = z[i];
                    for (int j = 0; j <= i; j++) {
                        cross[row + j] += zi * z[j];
                    }
                }
            }
        });
        count += batch;
    }

    /** Bytes held by this accumulator (the shift is shared and not counted). */
    public long memoryBytes() {
        return 8L * sum.length + 4L * cross.length;
    }
}
