package dev.kensa.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An image to inspect: a name for the result's {@code source}, the part's identity when the source knows it, and a
 * way to read its bytes.
 */
public interface ImageInput {
    String source();

    byte[] read() throws IOException;

    /** The result id the caller wants (e.g. an MQTT request's {@code id}), or null for a new one. */
    default String requestedId() {
        return null;
    }

    /** The serial or part id the line gave with the image (result {@code partId}), or null. */
    default String partId() {
        return null;
    }

    /** Bytes with a caller-chosen result id. */
    static ImageInput of(String source, byte[] bytes, String id) {
        return of(source, bytes, id, null);
    }

    /** Bytes with a caller-chosen result id and the part's id. */
    static ImageInput of(String source, byte[] bytes, String id, String partId) {
        return new ImageInput() {
            @Override
            public String source() {
                return source;
            }

            @Override
            public byte[] read() {
                return bytes;
            }

            @Override
            public String requestedId() {
                return id;
            }

            @Override
            public String partId() {
                return partId;
            }
        };
    }

    /**
     * An input its source refused to read (over the byte limit, unreadable): inspecting it gives an ERROR result
     * "cannot read SOURCE: REASON", journalled like any other, so the line sees it.
     */
    static ImageInput refused(String source, String id, String partId, String reason) {
        return new ImageInput() {
            @Override
            public String source() {
                return source;
            }

            @Override
            public byte[] read() throws IOException {
                throw new IOException(reason);
            }

            @Override
            public String requestedId() {
                return id;
            }

            @Override
            public String partId() {
                return partId;
            }
        };
    }

    static ImageInput of(Path file) {
        return new ImageInput() {
            @Override
            public String source() {
                return file.toString();
            }

            @Override
            public byte[] read() throws IOException {
                return Files.readAllBytes(file);
            }
        };
    }

    static ImageInput of(String source, byte[] bytes) {
        return of(source, bytes, null);
    }

    /** Reads, turning an I/O failure into the unchecked form the pipeline reports per image. */
    default byte[] readOrThrow() {
        try {
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source() + ": " + e.getMessage(), e);
        }
    }
}
