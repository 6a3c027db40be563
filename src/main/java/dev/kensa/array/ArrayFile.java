package dev.kensa.array;

import dev.kensa.score.HalfFloat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Kensa's binary array files, the one reader and writer behind every binary array of a bundle ({@code stats.bin}
 * "KNSTATS1" in {@link StatsFile}, PatchCore's {@code memory_bank.bin} "KNBANK01"; layouts in models/FORMAT.md). All
 * share one shape, little-endian:
 * <pre>
 *  0  8 bytes  ASCII magic, names the layout
 *  8  int32    version = 1
 * 12  int32    dtype of the layout's main array: 0 = float32, 1 = float16
 * 16  int32... the layout's own fields (sizes, grid), then zeros up to byte 64 (reserved, ignored on read)
 * 64  arrays   float32 or float16 values, row-major, one after the other
 * </pre>
 * Arrays are copied in bulk through one direct buffer (a production PaDiM is 63 MB). A reader is used once, front
 * to back: {@link #open}, {@link #header}, the size check, then the arrays in file order. Every refusal is an
 * {@link ArrayException} whose message starts with the file's label.
 */
public final class ArrayFile implements AutoCloseable {
    public static final int HEADER_BYTES = 64;
    public static final int VERSION = 1;
    /** Java arrays hold at most about Integer.MAX_VALUE - 8 elements. */
    public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** Largest magnitude a float16 holds; larger values would be stored as infinity. */
    public static final float FLOAT16_MAX = 65504f;
    private static final int FLOAT32 = 0;
    private static final int FLOAT16 = 1;
    private static final int CHUNK_BYTES = 1 << 20;

    private final FileChannel ch;
    private final String label;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    private ArrayFile(FileChannel ch, String label) {
        this.ch = ch;
        this.label = label;
    }

    /**
     * The header past its magic and version.
     *
     * @param float16 whether the layout's main array is stored as float16
     * @param fields  the layout's own int32 fields, in file order
     */
    public record Header(boolean float16, int[] fields) {
        public String dtypeName() {
            return float16 ? "float16" : "float32";
        }
    }

    // ---- reading

    /** Opens {@code file} to read; a missing file is "LABEL: missing". */
    public static ArrayFile open(Path file, String label) {
        try {
            return new ArrayFile(FileChannel.open(file, StandardOpenOption.READ), label);
        } catch (NoSuchFileException e) {
            throw new ArrayException(label + ": missing", e);
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Reads the header and checks its magic, version and dtype code.
     *
     * @param kind    what the file should be, e.g. "Kensa stats file"
     * @param layout  the layout's short name in the version refusal, e.g. "stats"
     * @param fields  how many int32 fields the layout has after the dtype
     */
    public Header header(String magic, String kind, String layout, int fields) {
        try {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw refuse(size + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
            }
            ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(0);
            readFully(buf);
            buf.flip();
            byte[] found = new byte[8];
            buf.get(found);
            if (!magic.equals(new String(found, StandardCharsets.ISO_8859_1))) {
                throw refuse("not a " + kind + " (magic " + printable(found) + ", expected " + magic + ")");
            }
            int version = buf.getInt();
            int dtype = buf.getInt();
            if (version != VERSION) {
                throw refuse(layout + " version " + version + ", this build reads version " + VERSION);
            }
            if (dtype != FLOAT32 && dtype != FLOAT16) {
                throw refuse("unknown dtype code " + dtype + " (0 = float32, 1 = float16)");
            }
            int[] values = new int[fields];
            for (int i = 0; i < fields; i++) {
                values[i] = buf.getInt();
            }
            return new Header(dtype == FLOAT16, values);
        } catch (IOException e) {
            throw cannotRead(e);
        }
    }

    /** Refuses a file whose size is not {@code expected} bytes; {@code what} describes the header, e.g. "float32 d=100 P=3136". */
    public void requireSize(long expected, String what) {
        long size;
        try {
            size = ch.size();
        } catch (IOException e) {
            throw cannotRead(e);
        }
        if (size != expected) {
            throw refuse(size + " bytes, expected " + expected + " for " + what);
        }
    }

    /** The next {@code n} float32 values. */
    public float[] float32(int n) {
        float[] dst = new float[n];
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, CHUNK_BYTES / 4);
            fill(k * 4);
            chunk.asFloatBuffer().get(dst, done, k);
            done += k;
        }
        return dst;
    }

    /** The next {@code n} float16 values, as their bits. */
    public short[] float16(int n) {
        short[] dst = new short[n];
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, CHUNK_BYTES / 2);
            fill(k * 2);
            chunk.asShortBuffer().get(dst, done, k);
            done += k;
        }
        return dst;
    }

    /** The next {@code n} values, stored as float16 or float32, as float32. */
    public float[] floats(boolean float16, int n) {
        if (!float16) {
            return float32(n);
        }
        short[] half = float16(n);
        float[] dst = new float[n];
        for (int i = 0; i < n; i++) {
            dst[i] = HalfFloat.toFloat(half[i]);
        }
        return dst;
    }

    /** Reads the next {@code bytes} (the channel stands after the header once {@link #header} has read it). */
    private void fill(int bytes) {
        chunk.clear().limit(bytes);
        try {
            readFully(chunk);
        } catch (IOException e) {
            throw cannotRead(e);
        }
        chunk.flip();
    }

    private void readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw refuse("ended early while reading (changed on disk?)");
            }
        }
    }

    // ---- writing

    /**
     * Writes a whole file, replacing it: the header, then the arrays. {@code arrays} are float[] (float32) or
     * short[] (float16 bits), in file order.
     */
    public static void write(Path file, String label, String magic, boolean float16, int[] fields, Object... arrays) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(magic.getBytes(StandardCharsets.US_ASCII)).putInt(VERSION).putInt(float16 ? FLOAT16 : FLOAT32);
        for (int f : fields) {
            header.putInt(f);
        }
        header.position(HEADER_BYTES).flip(); // the reserved bytes are already zero
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, header);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Object a : arrays) {
                if (a instanceof float[] f) {
                    for (int done = 0; done < f.length; ) {
                        int k = Math.min(f.length - done, CHUNK_BYTES / 4);
                        chunk.clear();
                        chunk.asFloatBuffer().put(f, done, k);
                        chunk.limit(k * 4);
                        writeFully(ch, chunk);
                        done += k;
                    }
                } else if (a instanceof short[] s) {
                    for (int done = 0; done < s.length; ) {
                        int k = Math.min(s.length - done, CHUNK_BYTES / 2);
                        chunk.clear();
                        chunk.asShortBuffer().put(s, done, k);
                        chunk.limit(k * 2);
                        writeFully(ch, chunk);
                        done += k;
                    }
                } else {
                    throw new IllegalArgumentException("an array file holds float[] or short[], not " + a);
                }
            }
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    // ----

    /** A refusal naming this file. */
    public ArrayException refuse(String problem) {
        return new ArrayException(label + ": " + problem);
    }

    private ArrayException cannotRead(IOException e) {
        return new ArrayException(label + ": cannot read (" + e.getMessage() + ")", e);
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }

    static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.append('"').toString();
    }
}
