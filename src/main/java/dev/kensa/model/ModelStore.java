package dev.kensa.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.KensaException;
import dev.kensa.bundle.BundleSignature;
import dev.kensa.util.FileTrees;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The box's own copy of its models, so the active choice survives restarts and a kill at any moment:
 * <pre>
 * store/
 *   state.json      which installed bundle is active and which is kept for rollback, threshold overrides;
 *                   replaced atomically (write, fsync, rename, fsync dir): the one commit point of a swap
 *   bundles/&lt;sha&gt;/  verified bundles, named by the first 16 hex digits of their sha256
 *   staging/        uploads being received and checked; emptied at every start
 *   audit.log       one JSON line per swap, rollback, refusal and threshold change (who, when, what)
 * </pre>
 * A bundle is moved into {@code bundles/} (one rename on the same disk) only after it has passed every check, and
 * {@code state.json} names it only after that, so after a crash the state names either the old or the new bundle and
 * both are complete. Bundles that the state no longer names are deleted at start.
 */
public final class ModelStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /** An engineer's image threshold for one bundle (by sha256), with who set it and when. */
    public record ThresholdOverride(double value, String by, String at, String reason) {
    }

    /**
     * The persisted choice. {@code active} and {@code previous} are names of directories under {@code bundles/}
     * (null when none); overrides are keyed by bundle sha256 so they follow their bundle through a rollback.
     */
    public record State(String active, String previous, Map<String, ThresholdOverride> overrides) {
        public State {
            overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
        }

        public static final State EMPTY = new State(null, null, Map.of());

        public State withOverride(String sha256, ThresholdOverride o) {
            Map<String, ThresholdOverride> m = new LinkedHashMap<>(overrides);
            if (o == null) {
                m.remove(sha256);
            } else {
                m.put(sha256, o);
            }
            return new State(active, previous, m);
        }
    }

    private final Path root;
    private final Path bundles;
    private final Path staging;
    private final Path stateFile;
    private final Path auditLog;
    private State state;

    private ModelStore(Path root) {
        this.root = root;
        this.bundles = root.resolve("bundles");
        this.staging = root.resolve("staging");
        this.stateFile = root.resolve("state.json");
        this.auditLog = root.resolve("audit.log");
    }

    /** Opens (creating) the store, empties its staging area (leftovers of a swap cut short) and reads the state. */
    public static ModelStore open(Path root) {
        ModelStore s = new ModelStore(root);
        try {
            Files.createDirectories(s.bundles);
            Files.createDirectories(s.staging);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(s.staging)) {
                for (Path p : ds) {
                    FileTrees.delete(p);
                }
            }
            Files.deleteIfExists(root.resolve("state.json.tmp"));
            s.state = Files.exists(s.stateFile) ? JSON.readValue(s.stateFile.toFile(), State.class) : State.EMPTY;
        } catch (IOException e) {
            throw new KensaException("model store " + root + ": " + e.getMessage(), e);
        }
        return s;
    }

    public Path root() {
        return root;
    }

    public synchronized State state() {
        return state;
    }

    public Path bundleDir(String name) {
        return bundles.resolve(name);
    }

    /** The directory name a bundle with this sha256 gets under {@code bundles/}. */
    public static String nameOf(String sha256) {
        return sha256.substring(0, 16);
    }

    /** A fresh directory under {@code staging/} for one upload. */
    public Path newStagingDir() {
        try {
            return Files.createDirectory(staging.resolve(UUID.randomUUID().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies an upload to {@code file}, refusing it as soon as it passes {@code maxBytes} (the bytes already taken are
     * deleted with the staging directory by the caller).
     *
     * @return the number of bytes received
     */
    public static long receive(InputStream in, Path file, long maxBytes) {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new UploadTooLargeException(maxBytes);
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw new KensaException("upload failed after " + total + " bytes: " + e.getMessage(), e);
        }
        return total;
    }

    /** The upload is larger than the configured limit (HTTP 413). */
    public static final class UploadTooLargeException extends KensaException {
        public UploadTooLargeException(long maxBytes) {
            super("bundle upload is larger than the limit of " + maxBytes + " bytes (kensa.model.max-upload-bytes)");
        }
    }

    /**
     * Moves a verified bundle directory into {@code bundles/<name>} with one rename, syncing its files first. If the
     * same bundle (same manifest sha256) is installed already, keeps that copy but takes the {@code manifest.sig} the
     * new one arrives with: the signature is detached from the manifest, so a bundle signed after it was first
     * installed would otherwise stay unsigned in the store and be refused by a box that later gets a public key.
     */
    public Path install(Path verifiedDir, String sha256) {
        Path target = bundles.resolve(nameOf(sha256));
        try {
            if (Files.isDirectory(target)) {
                takeSignature(verifiedDir, target);
                FileTrees.delete(verifiedDir);
                return target;
            }
            syncTree(verifiedDir);
            Files.move(verifiedDir, target, StandardCopyOption.ATOMIC_MOVE);
            syncDir(bundles);
            return target;
        } catch (IOException e) {
            throw new KensaException("cannot install bundle into " + target + ": " + e.getMessage(), e);
        }
    }

    /** Replaces {@code target}'s signature with {@code from}'s (write, fsync, rename), when {@code from} has one. */
    private static void takeSignature(Path from, Path target) throws IOException {
        Path sig = from.resolve(BundleSignature.FILE);
        if (!Files.isRegularFile(sig, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return; // arrived unsigned: a signature already stored still signs the same manifest
        }
        Path tmp = target.resolve(BundleSignature.FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(Files.readAllBytes(sig)));
            ch.force(true);
        }
        Files.move(tmp, target.resolve(BundleSignature.FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        syncDir(target);
    }

    /** Makes {@code next} the persisted state: the commit point of a swap, rollback or threshold change. */
    public synchronized void commit(State next) {
        Path tmp = root.resolve("state.json.tmp");
        try {
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir(root);
            state = next;
        } catch (IOException e) {
            throw new KensaException("cannot write " + stateFile + ": " + e.getMessage(), e);
        }
    }

    /** Deletes installed bundles the state names neither as active nor as previous. */
    public synchronized void collectGarbage() {
        Set<String> keep = new java.util.HashSet<>();
        if (state.active() != null) {
            keep.add(state.active());
        }
        if (state.previous() != null) {
            keep.add(state.previous());
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(bundles)) {
            for (Path p : ds) {
                if (!keep.contains(p.getFileName().toString())) {
                    FileTrees.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends one event (a {@link ModelEvent}, as JSON) to the audit log and forces it to disk. */
    public synchronized void audit(Object event) {
        try (FileChannel ch = FileChannel.open(auditLog, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            String text = JSON.writeValueAsString(event) + "\n";
            long size = ch.size();
            if (size > 0) {
                java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
                ch.read(last, size - 1);
                if (last.get(0) != '\n') {
                    text = "\n" + text; // a line torn by a crash stays on its own, unreadable, line
                }
            }
            ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), size); // append: one writer
            ch.force(false);
        } catch (IOException e) {
            throw new KensaException("cannot write the audit log " + auditLog + ": " + e.getMessage(), e);
        }
    }

    /** The last {@code limit} audit events, oldest first. */
    public synchronized java.util.List<Map<String, Object>> auditTail(int limit) {
        if (!Files.exists(auditLog)) {
            return java.util.List.of();
        }
        try {
            java.util.List<String> lines = Files.readAllLines(auditLog, StandardCharsets.UTF_8);
            java.util.LinkedList<Map<String, Object>> out = new java.util.LinkedList<>();
            for (int i = lines.size() - 1; i >= 0 && out.size() < limit; i--) {
                if (!lines.get(i).isBlank()) {
                    try {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = JSON.readValue(lines.get(i), Map.class);
                        out.addFirst(m);
                    } catch (IOException torn) {
                        // a line cut by a crash: skip it
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void syncTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                syncDir(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
