package dev.kensa.method.patchcore;

import dev.kensa.bundle.BinaryFiles;
import dev.kensa.bundle.BundleException;
import dev.kensa.score.HalfFloat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * PatchCore's memory bank: the coreset of training patch features, [rows][dims], held as float32 in memory and
 * stored as float32 or float16 ({@code memory_bank.bin}, little-endian):
 * <pre>
 *  0  8 bytes  ASCII magic "KNBANK01"
 *  8  int32    version = 1
 * 12  int32    dtype: 0 = float32, 1 = float16
 * 16  int32    rows
 * 20  int32    dims
 * 24  40 bytes reserved, written as zero, ignored on read
 * 64  dtype    rows [rows][dims], row-major
 * </pre>
 *
 * @param values [rows][dims] float32 (a float16 bank is widened on read)
 */
public record MemoryBank(float[] values, int rows, int dims, boolean float16) {
    public static final String MAGIC = "KNBANK01";
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 64;
    private static final int CHUNK = 1 << 20;

    public MemoryBank {
        if (rows < 1 || dims < 1 || values.length != (long) rows * dims) {
            throw new IllegalArgumentException("memory bank of " + rows + " x " + dims + " with " + values.length + " values");
        }
    }

    /** The same bank rounded to float16 (what a float16 file holds). */
    public MemoryBank toFloat16() {
        if (float16) {
            return this;
        }
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = HalfFloat.toFloat(HalfFloat.fromFloat(values[i]));
        }
        return new MemoryBank(rounded, rows, dims, true);
    }

    public String dtypeName() {
        return float16 ? "float16" : "float32";
    }

    /** Bytes in the file's data section. */
    public long storedBytes() {
        return (long) values.length * (float16 ? 2 : 4);
    }

    /** Writes the bank; refuses NaN or infinity (and values a float16 file cannot hold). */
    public void write(Path file) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i]) || (float16 && Math.abs(values[i]) > 65504f)) {
                throw new BundleException(file + ": memory bank row " + i / dims + " holds " + values[i]);
            }
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(VERSION).putInt(float16 ? 1 : 0).putInt(rows).putInt(dims);
        header.position(HEADER_BYTES).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            write(ch, header);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            int per = CHUNK / (float16 ? 2 : 4);
            for (int done = 0; done < values.length; done += per) {
                int n = Math.min(per, values.length - done);
                chunk.clear();
                for (int i = 0; i < n; i++) {
                    if (float16) {
                        chunk.putShort(HalfFloat.fromFloat(values[done + i]));
                    } else {
                        chunk.putFloat(values[done + i]);
                    }
                }
                chunk.flip();
                write(ch, chunk);
            }
        } catch (IOException e) {
            throw new BundleException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** The header of a bank file, checked in itself and against the file size. */
    public record Header(int rows, int dims, boolean float16) {
    }

    /** @param label how refusals name the file, e.g. "memory_bank.bin" */
    public static Header readHeader(Path file, String label) {
        try (FileChannel ch = BinaryFiles.openRead(file, label)) {
            return header(ch, label);
        } catch (IOException e) {
            throw new BundleException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    public static MemoryBank read(Path file, String label) {
        try (FileChannel ch = BinaryFiles.openRead(file, label)) {
            Header h = header(ch, label);
            float[] values = new float[h.rows() * h.dims()];
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(HEADER_BYTES);
            int per = CHUNK / (h.float16() ? 2 : 4);
            for (int done = 0; done < values.length; done += per) {
                int n = Math.min(per, values.length - done);
                chunk.clear().limit(n * (h.float16() ? 2 : 4));
                BinaryFiles.readFully(ch, chunk, label);
                chunk.flip();
                for (int i = 0; i < n; i++) {
                    float v = h.float16() ? HalfFloat.toFloat(chunk.getShort()) : chunk.getFloat();
                    if (!Float.isFinite(v)) {
                        throw new BundleException(label + ": memory bank row " + (done + i) / h.dims() + " holds " + v);
                    }
                    values[done + i] = v;
                }
            }
            return new MemoryBank(values, h.rows(), h.dims(), h.float16());
        } catch (IOException e) {
            throw new BundleException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Header header(FileChannel ch, String label) throws IOException {
        long size = ch.size();
        ByteBuffer buf = BinaryFiles.header(ch, HEADER_BYTES, MAGIC, "Kensa memory bank", label);
        int version = buf.getInt();
        int dtype = buf.getInt();
        int rows = buf.getInt();
        int dims = buf.getInt();
        if (version != VERSION) {
            throw new BundleException(label + ": memory bank version " + version + ", this build reads version " + VERSION);
        }
        if (dtype != 0 && dtype != 1) {
            throw new BundleException(label + ": unknown dtype code " + dtype + " (0 = float32, 1 = float16)");
        }
        if (rows < 1 || dims < 1 || (long) rows * dims > Integer.MAX_VALUE - 8) {
            throw new BundleException(label + ": header says " + rows + " rows of " + dims + " dims");
        }
        long expected = HEADER_BYTES + (long) rows * dims * (dtype == 1 ? 2 : 4);
        if (size != expected) {
            throw new BundleException(label + ": " + size + " bytes, expected " + expected + " for " + rows + " x " + dims
                    + (dtype == 1 ? " float16" : " float32"));
        }
        return new Header(rows, dims, dtype == 1);
    }

    private static void write(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
