package dev.kensa.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Directory trees the product makes and removes itself (eval output, model staging, installed bundles). */
public final class FileTrees {
    private FileTrees() {
    }

    /**
     * Deletes {@code root} and everything below it, deepest first; links are removed, never followed. Nothing to do
     * when it does not exist; any file that cannot be deleted is an exception.
     */
    public static void delete(Path root) throws IOException {
        if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * As {@link #delete} but best effort, for clean-up after a refusal or at exit: a leftover temporary directory is
     * not worth failing for, and something else may still be writing into it.
     */
    public static void deleteQuietly(Path root) {
        try {
            delete(root);
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort: the refusal or the exit is what matters
        }
    }
}
