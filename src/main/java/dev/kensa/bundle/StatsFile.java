package dev.kensa.bundle;

import dev.kensa.score.GaussianStats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code stats.bin}: the per-patch Gaussian statistics of a bundle (layout in models/FORMAT.md). Little-endian:
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
 * Reads are bulk copies through a direct buffer: the file is 63 MB at float32 for d=100, P=3136.
 */
public final class StatsFile {
    public static final String MAGIC = "KNSTATS1";
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 64;
    static final int DTYPE_FLOAT32 = 0;
    static final int DTYPE_FLOAT16 = 1;

    private static final int CHUNK_BYTES = 1 << 20;
    // Java arrays hold at most about Integer.MAX_VALUE - 8 elements
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private StatsFile() {
    }

    /** The 64-byte header of a stats file, validated in itself (not yet against a manifest or the file size). */
    public record Header(int version, GaussianStats.Dtype dtype, int dims, int positions, int gridHeight, int gridWidth) {
        /** Values of the packed factor of all patches. */
        public long factorValues() {
            return (long) positions * ((long) dims * (dims + 1) / 2);
        }

        /** The exact size a file with this header must have. */
        public long expectedFileSize() {
            long factorBytes = dtype == GaussianStats.Dtype.FLOAT32 ? 4 : 2;
            return HEADER_BYTES + 4L * positions * dims + factorBytes * factorValues();
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
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        header.putInt(VERSION);
        header.putInt(stats.dtype() == GaussianStats.Dtype.FLOAT32 ? DTYPE_FLOAT32 : DTYPE_FLOAT16);
        header.putInt(stats.dims());
        header.putInt(stats.positions());
        header.putInt(stats.gridHeight());
        header.putInt(stats.gridWidth());
        header.position(HEADER_BYTES).flip(); // the reserved bytes are already zero
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, header);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            writeFloats(ch, chunk, stats.mean());
            if (stats.factor32() != null) {
                writeFloats(ch, chunk, stats.factor32());
            } else {
                writeShorts(ch, chunk, stats.factor16());
            }
        } catch (IOException e) {
            throw new BundleException(label + ": cannot write (" + e.getMessage() + ")", e);
        }
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
        try (FileChannel ch = BinaryFiles.openRead(file, label)) {
            return header(ch, label);
        } catch (IOException e) {
            throw new BundleException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    public static GaussianStats read(Path file, String label) {
        try (FileChannel ch = BinaryFiles.openRead(file, label)) {
            Header h = header(ch, label);
            float[] mean = new float[h.positions() * h.dims()];
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(HEADER_BYTES);
            readFloats(ch, chunk, mean, label);
            GaussianStats stats;
            if (h.dtype() == GaussianStats.Dtype.FLOAT32) {
                float[] factor = new float[(int) h.factorValues()];
                readFloats(ch, chunk, factor, label);
                stats = GaussianStats.ofFloat32(h.gridHeight(), h.gridWidth(), h.dims(), mean, factor);
            } else {
                short[] factor = new short[(int) h.factorValues()];
                readShorts(ch, chunk, factor, label);
                stats = GaussianStats.ofFloat16(h.gridHeight(), h.gridWidth(), h.dims(), mean, factor);
            }
            checkFinite(stats, label);
            return stats;
        } catch (IOException e) {
            throw new BundleException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Header header(FileChannel ch, String label) throws IOException {
        long size = ch.size();
        ByteBuffer buf = BinaryFiles.header(ch, HEADER_BYTES, MAGIC, "Kensa stats file", label);
        int version = buf.getInt();
        int dtypeCode = buf.getInt();
        int dims = buf.getInt();
        int positions = buf.getInt();
        int gridHeight = buf.getInt();
        int gridWidth = buf.getInt();
        if (version != VERSION) {
            throw new BundleException(label + ": stats version " + version + ", this build reads version " + VERSION);
        }
        GaussianStats.Dtype dtype = switch (dtypeCode) {
            case DTYPE_FLOAT32 -> GaussianStats.Dtype.FLOAT32;
            case DTYPE_FLOAT16 -> GaussianStats.Dtype.FLOAT16;
            default -> throw new BundleException(label + ": unknown dtype code " + dtypeCode + " (0 = float32, 1 = float16)");
        };
        if (dims <= 0) {
            throw new BundleException(label + ": header says d=" + dims + ", must be positive");
        }
        if (gridHeight <= 0 || gridWidth <= 0) {
            throw new BundleException(label + ": header says grid " + gridHeight + "x" + gridWidth + ", must be positive");
        }
        if ((long) gridHeight * gridWidth != positions) {
            throw new BundleException(label + ": header says P=" + positions + " but grid " + gridHeight + "x" + gridWidth
                    + " = " + (long) gridHeight * gridWidth);
        }
        Header h = new Header(version, dtype, dims, positions, gridHeight, gridWidth);
        if ((long) positions * dims > MAX_ARRAY || h.factorValues() > MAX_ARRAY) {
            throw new BundleException(label + ": header says d=" + dims + " P=" + positions + ", too large to load");
        }
        long expected = h.expectedFileSize();
        if (size != expected) {
            throw new BundleException(label + ": " + size + " bytes, expected " + expected + " for " + h.dtypeName()
                    + " d=" + dims + " P=" + positions);
        }
        return h;
    }

    /** NaN or infinity in a mean or factor would turn every score of that patch into NaN, silently. */
    private static void checkFinite(GaussianStats stats, String label) {
        float[] mean = stats.mean();
        int d = stats.dims();
        for (int i = 0; i < mean.length; i++) {
            if (!Float.isFinite(mean[i])) {
                throw new BundleException(label + ": mean of patch " + i / d + " holds " + mean[i]);
            }
        }
        int packed = GaussianStats.packedSize(d);
        if (stats.factor32() != null) {
            float[] w = stats.factor32();
            for (int i = 0; i < w.length; i++) {
                if (!Float.isFinite(w[i])) {
                    throw new BundleException(label + ": factor of patch " + i / packed + " holds " + w[i]);
                }
            }
        } else {
            short[] w = stats.factor16();
            for (int i = 0; i < w.length; i++) {
                if ((w[i] & 0x7c00) == 0x7c00) { // all-ones exponent: half infinity or NaN
                    throw new BundleException(label + ": factor of patch " + i / packed
                            + " holds a float16 infinity or NaN (overflow when rounding to float16?)");
                }
            }
        }
    }

    private static void readFloats(FileChannel ch, ByteBuffer chunk, float[] dst, String label) throws IOException {
        int done = 0;
        while (done < dst.length) {
            int n = Math.min(dst.length - done, chunk.capacity() / 4);
            chunk.clear().limit(n * 4);
            BinaryFiles.readFully(ch, chunk, label);
            chunk.flip();
            chunk.asFloatBuffer().get(dst, done, n);
            done += n;
        }
    }

    private static void readShorts(FileChannel ch, ByteBuffer chunk, short[] dst, String label) throws IOException {
        int done = 0;
        while (done < dst.length) {
            int n = Math.min(dst.length - done, chunk.capacity() / 2);
            chunk.clear().limit(n * 2);
            BinaryFiles.readFully(ch, chunk, label);
            chunk.flip();
            chunk.asShortBuffer().get(dst, done, n);
            done += n;
        }
    }

    private static void writeFloats(FileChannel ch, ByteBuffer chunk, float[] src) throws IOException {
        int done = 0;
        while (done < src.length) {
            int n = Math.min(src.length - done, chunk.capacity() / 4);
            chunk.clear();
            chunk.asFloatBuffer().put(src, done, n);
            chunk.limit(n * 4);
            writeFully(ch, chunk);
            done += n;
        }
    }

    private static void writeShorts(FileChannel ch, ByteBuffer chunk, short[] src) throws IOException {
        int done = 0;
        while (done < src.length) {
            int n = Math.min(src.length - done, chunk.capacity() / 2);
            chunk.clear();
            chunk.asShortBuffer().put(src, done, n);
            chunk.limit(n * 2);
            writeFully(ch, chunk);
            done += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
