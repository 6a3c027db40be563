package dev.kensa.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An image to inspect: a name for the result's {@code source} and a way to read its bytes. */
public interface ImageInput {
    String source();

    byte[] read() throws IOException;

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
        return new ImageInput() {
            @Override
            public String source() {
                return source;
            }

            @Override
            public byte[] read() {
                return bytes;
            }
        };
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
