package dev.kensa.method.patchcore;

import dev.kensa.array.ArrayException;
import dev.kensa.array.ArrayFile;
import dev.kensa.score.HalfFloat;

import java.nio.file.Path;

/**
 * PatchCore's memory bank: the coreset of training patch features, [rows][dims], held as float32 in memory and
 * stored as float32 or float16 ({@code memory_bank.bin}, an {@link ArrayFile}, little-endian):
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
            if (!Float.isFinite(values[i]) || (float16 && Math.abs(values[i]) > ArrayFile.FLOAT16_MAX)) {
                throw new ArrayException(file + ": memory bank row " + i / dims + " holds " + values[i]);
            }
        }
        Object data = values;
        if (float16) {
            short[] half = new short[values.length];
            for (int i = 0; i < half.length; i++) {
                half[i] = HalfFloat.fromFloat(values[i]);
            }
            data = half;
        }
        ArrayFile.write(file, file.toString(), MAGIC, float16, new int[]{rows, dims}, data);
    }

    /** The header of a bank file, checked in itself and against the file size. */
    public record Header(int rows, int dims, boolean float16) {
    }

    /** @param label how refusals name the file, e.g. "memory_bank.bin" */
    public static Header readHeader(Path file, String label) {
        try (ArrayFile f = ArrayFile.open(file, label)) {
            return header(f);
        }
    }

    public static MemoryBank read(Path file, String label) {
        try (ArrayFile f = ArrayFile.open(file, label)) {
            Header h = header(f);
            float[] values = f.floats(h.float16(), h.rows() * h.dims());
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw f.refuse("memory bank row " + i / h.dims() + " holds " + values[i]);
                }
            }
            return new MemoryBank(values, h.rows(), h.dims(), h.float16());
        }
    }

    private static Header header(ArrayFile f) {
        ArrayFile.Header raw = f.header(MAGIC, "Kensa memory bank", "memory bank", 2);
        int rows = raw.fields()[0];
        int dims = raw.fields()[1];
        if (rows < 1 || dims < 1 || (long) rows * dims > ArrayFile.MAX_ARRAY) {
            throw f.refuse("header says " + rows + " rows of " + dims + " dims");
        }
        f.requireSize(ArrayFile.HEADER_BYTES + (long) rows * dims * (raw.float16() ? 2 : 4),
                rows + " x " + dims + " " + raw.dtypeName());
        return new Header(rows, dims, raw.float16());
    }
}
