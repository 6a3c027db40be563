package dev.kensa.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The parts every binary array file of a bundle shares (stats.bin, a method's own arrays): open for reading, read
 * the fixed-size little-endian header and check its 8-byte magic, with one-line errors naming the file.
 */
public final class BinaryFiles {

    private BinaryFiles() {
    }

    /** Opens {@code file} for reading; a missing file is a {@link BundleException} "LABEL: missing". */
    public static FileChannel openRead(Path file, String label) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BundleException(label + ": missing", e);
        }
    }

    /**
     * Reads the first {@code headerBytes} bytes and checks that they start with {@code magic} (8 ASCII bytes).
     *
     * @param kind what the file should be, for the error, e.g. "Kensa stats file"
     * @return the header, little-endian, positioned after the magic
     */
    public static ByteBuffer header(FileChannel ch, int headerBytes, String magic, String kind, String label)
            throws IOException {
        long size = ch.size();
        if (size < headerBytes) {
            throw new BundleException(label + ": " + size + " bytes, shorter than the " + headerBytes + "-byte header");
        }
        ByteBuffer buf = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(0);
        readFully(ch, buf, label);
        buf.flip();
        byte[] found = new byte[8];
        buf.get(found);
        if (!magic.equals(new String(found, StandardCharsets.ISO_8859_1))) {
            throw new BundleException(label + ": not a " + kind + " (magic " + printable(found) + ", expected " + magic + ")");
        }
        return buf;
    }

    /** Fills {@code buf} from the channel's position; a file that ends first is a {@link BundleException}. */
    public static void readFully(FileChannel ch, ByteBuffer buf, String label) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new BundleException(label + ": ended early while reading (changed on disk?)");
            }
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
