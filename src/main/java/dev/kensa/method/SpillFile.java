package dev.kensa.method;

import dev.kensa.KensaException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A fit's temporary file of fixed-size float32 records (one image's embedding each), so held-out scoring can read
 * the training images' features again without keeping them all on the heap. Deleted when closed (or when the JVM
 * exits). Not thread-safe: one fitter owns it.
 */
public final class SpillFile implements AutoCloseable {

    private final FileChannel channel;
    private final ByteBuffer io;
    private final int recordFloats;
    private final String what;

    private SpillFile(FileChannel channel, int recordFloats, String what) {
        this.channel = channel;
        this.recordFloats = recordFloats;
        this.what = what;
        this.io = ByteBuffer.allocateDirect(recordFloats * 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * @param recordFloats floats per record (positions x dims of one image)
     * @param totalBytes   what the fit will spill, checked against the file system's free space; 0 skips the check
     * @param what         names the fit and its data in errors, e.g. "patchcore: patch features"
     */
    public static SpillFile create(String prefix, int recordFloats, long totalBytes, String what) {
        try {
            Path file = Files.createTempFile(prefix, ".spill");
            long usable = Files.getFileStore(file).getUsableSpace();
            if (totalBytes > 0 && usable < totalBytes) {
                Files.deleteIfExists(file);
                throw new KensaException(String.format("%s: the fit spills %d MB to %s, which has %d MB free", what,
                        totalBytes >> 20, file.getParent(), usable >> 20));
            }
            return new SpillFile(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE), recordFloats, what);
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot create the fit's spill file: " + e.getMessage(), e);
        }
    }

    /** Writes record {@code index} from {@code src[offset .. offset + recordFloats)}. */
    public void write(int index, float[] src, int offset) {
        io.clear();
        io.asFloatBuffer().put(src, offset, recordFloats);
        io.limit(recordFloats * 4);
        try {
            long pos = (long) index * recordFloats * 4;
            while (io.hasRemaining()) {
                pos += channel.write(io, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot spill to disk: " + e.getMessage(), e);
        }
    }

    /** Reads record {@code index} into {@code dst[offset .. offset + recordFloats)}. */
    public void read(int index, float[] dst, int offset) {
        readFloats((long) index * recordFloats, dst, offset, recordFloats, io);
    }

    /**
     * Reads {@code count} floats starting at float {@code from} of the file (e.g. one patch row inside a record)
     * through {@code buffer}, a direct little-endian buffer of at least {@code count * 4} bytes.
     */
    public void readFloats(long from, float[] dst, int offset, int count, ByteBuffer buffer) {
        buffer.clear();
        buffer.limit(count * 4);
        try {
            long pos = from * 4;
            while (buffer.hasRemaining()) {
                int r = channel.read(buffer, pos);
                if (r < 0) {
                    throw new IOException("spill file ended early");
                }
                pos += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot read the spilled data: " + e.getMessage(), e);
        }
        buffer.flip();
        buffer.asFloatBuffer().get(dst, offset, count);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // DELETE_ON_CLOSE: nothing else to clean up
        }
    }
}
