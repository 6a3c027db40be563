package dev.kensa.util;

import dev.kensa.KensaException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * A folder written beside its destination under a hidden name and renamed into place when complete, so a refused or
 * interrupted fit, import or export leaves nothing at the destination (at most a hidden {@code .NAME.partial-*} folder
 * after a kill, which the next run does not mind). Folders created above the destination for it are removed again
 * when it fails.
 */
public final class Staging implements AutoCloseable {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final Path target;
    private final Path dir;
    private final Path createdAncestor;
    private boolean done;

    private Staging(Path target, Path dir, Path createdAncestor) {
        this.target = target;
        this.dir = dir;
        this.createdAncestor = createdAncestor;
    }

    /** Refuses a destination that exists and is not an empty folder; call before any costly work. */
    public static void checkFree(Path target) {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new KensaException("output " + target + " exists and is not a folder");
        }
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) {
                throw new KensaException("output " + target + " already exists and is not empty");
            }
        } catch (IOException e) {
            throw new KensaException("output " + target + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** An empty hidden folder beside {@code target} (its parents created if missing). */
    public static Staging beside(Path target) {
        Path absolute = target.toAbsolutePath().normalize();
        checkFree(absolute);
        Path parent = absolute.getParent();
        Path created = null;
        for (Path p = parent; p != null && !Files.exists(p); p = p.getParent()) {
            created = p;
        }
        try {
            Files.createDirectories(parent);
            // createDirectory, not createTempDirectory: the folder keeps the umask's mode, not 0700, once in place
            Path dir = null;
            while (dir == null) {
                try {
                    dir = Files.createDirectory(parent.resolve("." + absolute.getFileName() + ".partial-"
                            + Long.toUnsignedString(RANDOM.nextLong(), 36)));
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // another name
                }
            }
            return new Staging(absolute, dir, created);
        } catch (IOException e) {
            if (created != null) {
                FileTrees.deleteQuietly(created);
            }
            throw new KensaException("output " + target + ": cannot create (" + e.getMessage() + ")", e);
        }
    }

    /** The folder to write into. */
    public Path dir() {
        return dir;
    }

    /** Renames the written folder to the destination (replacing an empty folder there); returns the destination. */
    public Path commit() {
        checkFree(target);
        try {
            if (Files.isDirectory(target)) {
                Files.delete(target); // empty, checked above
            }
            try {
                Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(dir, target);
            }
        } catch (IOException e) {
            throw new KensaException("output " + target + ": cannot move " + dir + " into place (" + e.getMessage() + ")", e);
        }
        done = true;
        return target;
    }

    /** Removes what was written unless {@link #commit} succeeded. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        FileTrees.deleteQuietly(dir);
        if (createdAncestor != null) {
            FileTrees.deleteQuietly(createdAncestor);
        }
    }
}
