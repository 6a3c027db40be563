package dev.kensa.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An image to inspect: a name for the result's {@code source} and a way to read its bytes. */
public interface ImageInput {
    String source();

    byte[] read() throws IOException;

    /** The result id the caller wants (e.g. an MQTT request's {@code id}), or null for a new one. */
    default String requestedId() {
        return null;
    }

    /** Bytes with a caller-chosen result id. */
    static ImageInput of(String source, byte[] bytes, String id) {
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
