package dev.kensa.array;

import dev.kensa.score.GaussianStats;

import java.nio.file.Path;

/**
 * {@code stats.bin}: Gaussian statistics, per patch position a mean and the packed inverse-Cholesky factor of its
 * covariance ({@link GaussianStats}; PaDiM's per-patch Gaussians, the global Mahalanobis model's one position). An
 * {@link ArrayFile} with magic "KNSTATS1" (layout in models/FORMAT.md):
 * <pre>
 *  0  8 bytes  ASCII magic "KNSTATS1"
 *  8  int32    version = 1
 * 12  int32    dtype of the factor W: 0 = float32, 1 = float16
 * 16  int32    d, kept channels per patch
 * 20  int32    P, patch positions = gridHeight * gridWidth
 * 24  int32    gridHeight
 * 28  int32    gridWidth
 * 32  32 bytes reserved, written as zero, ignored on read
 * 64  float32  mean [P][d]                  (always float32)
 *     dtype    W    [P][d(d+1)/2]           (packed lower-triangular inverse Cholesky factor, row-major)
 * </pre>
 */
public final class StatsFile {
    public static final String MAGIC = "KNSTATS1";

    private StatsFile() {
    }

    /** The header of a stats file, validated in itself and against the file size. */
    public record Header(GaussianStats.Dtype dtype, int dims, int positions, int gridHeight, int gridWidth) {
        /** Values of the packed factor of all patches. */
        public long factorValues() {
            return (long) positions * ((long) dims * (dims + 1) / 2);
        }

        /** The exact size a file with this header must have. */
        public long expectedFileSize() {
            long factorBytes = dtype == GaussianStats.Dtype.FLOAT32 ? 4 : 2;
            return ArrayFile.HEADER_BYTES + 4L * positions * dims + factorBytes * factorValues();
        }

        /** "float32" or "float16", as the manifest spells it. */
        public String dtypeName() {
            return StatsFile.dtypeName(dtype);
        }
    }

    /** The manifest spelling of a dtype: "float32" or "float16". */
    public static String dtypeName(GaussianStats.Dtype dtype) {
        return dtype == GaussianStats.Dtype.FLOAT32 ? "float32" : "float16";
    }

    /** Writes {@code stats} to {@code file}, replacing it. Refuses statistics holding NaN or infinity. */
    public static void write(Path file, GaussianStats stats) {
        String label = file.toString();
        checkFinite(stats, label);
        boolean half = stats.dtype() == GaussianStats.Dtype.FLOAT16;
        ArrayFile.write(file, label, MAGIC, half,
                new int[]{stats.dims(), stats.positions(), stats.gridHeight(), stats.gridWidth()},
                stats.mean(), half ? stats.factor16() : stats.factor32());
    }

    /** Reads and validates a stats file: magic, version, dtype, d, grid, exact size, finite values. */
    public static GaussianStats read(Path file) {
        return read(file, file.toString());
    }

    /** Reads only the header, validated in itself and against the file size. */
    public static Header readHeader(Path file) {
        return readHeader(file, file.toString());
    }

    /** @param label how messages name the file, e.g. "stats.bin" inside a bundle */
    public static Header readHeader(Path file, String label) {
        try (ArrayFile f = ArrayFile.open(file, label)) {
            return header(f);
        }
    }

    public static GaussianStats read(Path file, String label) {
        try (ArrayFile f = ArrayFile.open(file, label)) {
            Header h = header(f);
            float[] mean = f.float32(h.positions() * h.dims());
            GaussianStats stats = h.dtype() == GaussianStats.Dtype.FLOAT32
                    ? GaussianStats.ofFloat32(h.gridHeight(), h.gridWidth(), h.dims(), mean, f.float32((int) h.factorValues()))
                    : GaussianStats.ofFloat16(h.gridHeight(), h.gridWidth(), h.dims(), mean, f.float16((int) h.factorValues()));
            checkFinite(stats, label);
            return stats;
        }
    }

    private static Header header(ArrayFile f) {
        ArrayFile.Header raw = f.header(MAGIC, "Kensa stats file", "stats", 4);
        int dims = raw.fields()[0];
        int positions = raw.fields()[1];
        int gridHeight = raw.fields()[2];
        int gridWidth = raw.fields()[3];
        if (dims <= 0) {
            throw f.refuse("header says d=" + dims + ", must be positive");
        }
        if (gridHeight <= 0 || gridWidth <= 0) {
            throw f.refuse("header says grid " + gridHeight + "x" + gridWidth + ", must be positive");
        }
        if ((long) gridHeight * gridWidth != positions) {
            throw f.refuse("header says P=" + positions + " but grid " + gridHeight + "x" + gridWidth
                    + " = " + (long) gridHeight * gridWidth);
        }
        Header h = new Header(raw.float16() ? GaussianStats.Dtype.FLOAT16 : GaussianStats.Dtype.FLOAT32, dims,
                positions, gridHeight, gridWidth);
        if ((long) positions * dims > ArrayFile.MAX_ARRAY || h.factorValues() > ArrayFile.MAX_ARRAY) {
            throw f.refuse("header says d=" + dims + " P=" + positions + ", too large to load");
        }
        f.requireSize(h.expectedFileSize(), h.dtypeName() + " d=" + dims + " P=" + positions);
        return h;
    }

    /** NaN or infinity in a mean or factor would turn every score of that patch into NaN, silently. */
    private static void checkFinite(GaussianStats stats, String label) {
        float[] mean = stats.mean();
        int d = stats.dims();
        for (int i = 0; i < mean.length; i++) {
            if (!Float.isFinite(mean[i])) {
                throw new ArrayException(label + ": mean of patch " + i / d + " holds " + mean[i]);
            }
        }
        int packed = GaussianStats.packedSize(d);
        if (stats.factor32() != null) {
            float[] w = stats.factor32();
            for (int i = 0; i < w.length; i++) {
                if (!Float.isFinite(w[i])) {
                    throw new ArrayException(label + ": factor of patch " + i / packed + " holds " + w[i]);
                }
            }
        } else {
            short[] w = stats.factor16();
            for (int i = 0; i < w.length; i++) {
                if ((w[i] & 0x7c00) == 0x7c00) { // all-ones exponent: half infinity or NaN
                    throw new ArrayException(label + ": factor of patch " + i / packed
                            + " holds a float16 infinity or NaN (overflow when rounding to float16?)");
                }
            }
        }
    }
}
