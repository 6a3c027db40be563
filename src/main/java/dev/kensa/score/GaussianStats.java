package dev.kensa.score;

import java.util.Objects;

/**
 * Per-patch Gaussian statistics of a PaDiM model: for every patch position p of the embedding grid, the mean
 * mu_p (d values) and the inverse Cholesky factor W_p = L_p^-1 of the covariance S_p = L_p L_p^T.
 * W_p is lower-triangular and stored packed row-major: row i holds its i+1 entries (columns 0..i) at offset
 * i(i+1)/2, so one position takes d(d+1)/2 values. The Mahalanobis distance is then || W_p (x_p - mu_p) ||_2,
 * with half the memory of a full inverse and no per-image inversion.
 *
 * <p>W is held either as float32 ({@link #factor32()}) or as float16 bits ({@link #factor16()}): exactly one is
 * non-null. Means are always float32 (1.25 MB for d=100) because they are subtracted before the factor is
 * applied and float16 rounding there would be amplified by W.
 */
public final class GaussianStats {
    public enum Dtype { FLOAT32, FLOAT16 }

    private final int gridHeight;
    private final int gridWidth;
    private final int dims;
    private final float[] mean;      // [P][d]
    private final float[] factor32;  // [P][d(d+1)/2] or null
    private final short[] factor16;  // [P][d(d+1)/2] IEEE half bits, or null

    private GaussianStats(int gridHeight, int gridWidth, int dims, float[] mean, float[] factor32, short[] factor16) {
        if (gridHeight <= 0 || gridWidth <= 0 || dims <= 0) {
            throw new IllegalArgumentException("grid and d must be positive: " + gridHeight + "x" + gridWidth + ", d=" + dims);
        }
        long positions = (long) gridHeight * gridWidth;
        Objects.requireNonNull(mean, "mean");
        if (mean.length != positions * dims) {
            throw new IllegalArgumentException("mean has " + mean.length + " values, expected " + positions * dims);
        }
        long packed = positions * packedSize(dims);
        int factorLength = factor32 != null ? factor32.length : factor16.length;
        if (factorLength != packed) {
            throw new IllegalArgumentException("factor has " + factorLength + " values, expected " + packed);
        }
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
        this.dims = dims;
        this.mean = mean;
        this.factor32 = factor32;
        this.factor16 = factor16;
    }

    public static GaussianStats ofFloat32(int gridHeight, int gridWidth, int dims, float[] mean, float[] factor) {
        return new GaussianStats(gridHeight, gridWidth, dims, mean, Objects.requireNonNull(factor, "factor"), null);
    }

    public static GaussianStats ofFloat16(int gridHeight, int gridWidth, int dims, float[] mean, short[] factorHalfBits) {
        return new GaussianStats(gridHeight, gridWidth, dims, mean, null, Objects.requireNonNull(factorHalfBits, "factor"));
    }

    /** Number of values of one packed lower-triangular d x d factor. */
    public static int packedSize(int dims) {
        return dims * (dims + 1) / 2;
    }

    public int gridHeight() { return gridHeight; }
    public int gridWidth() { return gridWidth; }
    public int positions() { return gridHeight * gridWidth; }
    public int dims() { return dims; }
    public Dtype dtype() { return factor32 != null ? Dtype.FLOAT32 : Dtype.FLOAT16; }
    /** Means, [P][d] row-major. Shared, not copied: do not modify. */
    public float[] mean() { return mean; }
    /** Packed float32 factors [P][d(d+1)/2], or null when the factor is float16. Shared: do not modify. */
    public float[] factor32() { return factor32; }
    /** Packed float16 factors as IEEE half bits, or null when the factor is float32. Shared: do not modify. */
    public short[] factor16() { return factor16; }

    /** Bytes these statistics take in memory. */
    public long memoryBytes() {
        return 4L * mean.length + (factor32 != null ? 4L * factor32.length : 2L * factor16.length);
    }

    /** The same statistics with the factor rounded to float16 (round to nearest even). */
    public GaussianStats toFloat16() {
        if (factor16 != null) {
            return this;
        }
        short[] half = new short[factor32.length];
        for (int i = 0; i < half.length; i++) {
            half[i] = HalfFloat.fromFloat(factor32[i]);
        }
        return ofFloat16(gridHeight, gridWidth, dims, mean, half);
    }
}
