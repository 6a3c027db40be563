package dev.kensa.array;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a {@code .npy} file piece by piece, for arrays too large to build whole (an exported float64 inverse
 * covariance of 3136 positions of 100 x 100 is 250 MB): the header first, then the elements in C order as they are
 * computed. The file is what {@link Npy#write} (and {@code numpy.save}) writes for the same array. It is created new
 * (an existing file is refused), and {@link #close()} refuses, and removes the file, unless exactly the shape's
 * element count was written.
 */
public final class NpyWriter implements AutoCloseable {
    private static final int CHUNK_BYTES = 1 << 20;

    private final Path file;
    private final NpyType type;
    private final long expected;
    private final FileChannel channel;
    private final ByteBuffer chunk;
    private long written;
    private boolean failed;

    private NpyWriter(Path file, NpyType type, long expected, FileChannel channel) {
        this.file = file;
        this.type = type;
        this.expected = expected;
        this.channel = channel;
        this.chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Creates {@code file} (refused if it exists) for a little-endian array of {@code type} (FLOAT32, FLOAT64 or
     * INT64) and {@code shape}, and writes its header.
     */
    public static NpyWriter create(Path file, NpyType type, int... shape) {
        if (type != NpyType.FLOAT32 && type != NpyType.FLOAT64 && type != NpyType.INT64) {
            throw new IllegalArgumentException("writes float32, float64 or int64, not " + type.numpyName());
        }
        long count = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            }
            count *= d;
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            NpyWriter w = new NpyWriter(file, type, count, ch);
            try {
                w.writeFully(ByteBuffer.wrap(Npy.headerBytes(Npy.headerText(type, shape))));
            } catch (IOException e) {
                w.abort();
                throw e;
            }
            return w;
        } catch (IOException e) {
            throw new ArrayException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** Appends {@code length} values from {@code values[offset..]}, converted to the file's type. */
    public void write(double[] values, int offset, int length) {
        writeValues(i -> values[offset + i], length);
    }

    /** Appends {@code length} values from {@code values[offset..]}, converted to the file's type. */
    public void write(float[] values, int offset, int length) {
        writeValues(i -> values[offset + i], length); // float to double and back is exact
    }

    private void writeValues(java.util.function.IntToDoubleFunction value, int length) {
        checkRoom(length);
        int per = CHUNK_BYTES / type.itemSize();
        for (int done = 0; done < length; done += per) {
            int k = Math.min(per, length - done);
            chunk.clear();
            for (int i = 0; i < k; i++) {
                double v = value.applyAsDouble(done + i);
                switch (type) {
                    case FLOAT32 -> chunk.putFloat((float) v);
                    case FLOAT64 -> chunk.putDouble(v);
                    default -> chunk.putLong((long) v);
                }
            }
            flushChunk();
        }
    }

    /** Appends all of {@code values}. */
    public void write(double[] values) {
        write(values, 0, values.length);
    }

    /** Appends all of {@code values}. */
    public void write(float[] values) {
        write(values, 0, values.length);
    }

    private void checkRoom(int length) {
        if (written + length > expected) {
            failed = true;
            throw new IllegalStateException(file + ": " + (written + length) + " elements for an array of " + expected);
        }
        written += length;
    }

    private void flushChunk() {
        chunk.flip();
        try {
            writeFully(chunk);
        } catch (IOException e) {
            failed = true;
            throw new ArrayException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** Closes the file and removes it: for a caller whose computation failed half way. */
    public void abort() {
        failed = true;
        close();
    }

    /**
     * Finishes the file; refuses, and removes it, when fewer elements were written than the shape holds or a write
     * failed.
     */
    @Override
    public void close() {
        boolean complete = !failed && written == expected;
        try {
            channel.close();
        } catch (IOException e) {
            complete = false;
        }
        if (!complete) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the refusal below (or the caller's own failure) is what matters
            }
            if (!failed) {
                failed = true;
                throw new IllegalStateException(file + ": " + written + " of " + expected + " elements written");
            }
        }
    }
}
