package dev.kensa.gpu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Serialized TensorRT engines on disk ({@code kensa.cache-dir}), one file per {@link EngineCacheKey}. A file holds a
 * header (magic, the key's canonical line, payload length, payload sha256) and the plan. A file is reused only when
 * its header names the same key and its payload checks out; anything else (missing, truncated, corrupt, another
 * key) is a rebuild. Writes go to a temporary file moved into place, so a crash never leaves half an engine
 * under the real name.
 */
public final class EngineCache {
    static final byte[] MAGIC = "KENSA-TRT-ENGINE\n".getBytes(StandardCharsets.US_ASCII);

    private final Path dir;

    public EngineCache(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path fileFor(EngineCacheKey key) {
        return dir.resolve(key.fileName());
    }

    /** The outcome of a lookup: the plan to reuse, or null with why it must be rebuilt. */
    public record Lookup(byte[] plan, String rebuildReason) {
        public boolean hit() {
            return plan != null;
        }
    }

    /** The plan that was used and whether it was built now (else taken from the cache). */
    public record Result(byte[] plan, boolean built, String reason) {
    }

    public Lookup lookup(EngineCacheKey key) {
        Path file = fileFor(key);
        if (!Files.isRegularFile(file)) {
            return new Lookup(null, "no cached engine " + file.getFileName());
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return new Lookup(null, "cached engine unreadable: " + e.getMessage());
        }
        return decode(bytes, key);
    }

    /** Reuses the cached plan for {@code key}, else builds one and stores it (a failed store is not fatal). */
    public Result loadOrBuild(EngineCacheKey key, Supplier<byte[]> build) {
        Lookup found = lookup(key);
        if (found.hit()) {
            return new Result(found.plan(), false, "cached");
        }
        byte[] plan = build.get();
        String reason = found.rebuildReason();
        try {
            store(key, plan);
        } catch (IOException e) {
            reason += "; engine not cached: " + e.getMessage();
        }
        return new Result(plan, true, reason);
    }

    public void store(EngineCacheKey key, byte[] plan) throws IOException {
        Files.createDirectories(dir);
        Path target = fileFor(key);
        Path tmp = Files.createTempFile(dir, key.fileName(), ".tmp");
        try {
            Files.write(tmp, encode(key, plan));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static byte[] encode(EngineCacheKey key, byte[] plan) {
        byte[] line = key.canonical().getBytes(StandardCharsets.UTF_8);
        byte[] digest = EngineCacheKey.sha256(plan);
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + line.length + 8 + digest.length + plan.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(line.length).put(line).putLong(plan.length).put(digest).put(plan);
        return b.array();
    }

    static Lookup decode(byte[] bytes, EngineCacheKey key) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                return new Lookup(null, "cached engine has no Kensa header");
            }
            int lineLength = b.getInt();
            if (lineLength < 0 || lineLength > b.remaining()) {
                return new Lookup(null, "cached engine header is corrupt");
            }
            byte[] line = new byte[lineLength];
            b.get(line);
            String found = new String(line, StandardCharsets.UTF_8);
            if (!found.equals(key.canonical())) {
                return new Lookup(null, "cached engine was built for another key (" + found + ")");
            }
            long planLength = b.getLong();
            byte[] digest = new byte[32];
            b.get(digest);
            if (planLength < 0 || planLength != b.remaining()) {
                return new Lookup(null, "cached engine is truncated or too long");
            }
            byte[] plan = new byte[(int) planLength];
            b.get(plan);
            if (!Arrays.equals(digest, EngineCacheKey.sha256(plan))) {
                return new Lookup(null, "cached engine fails its checksum");
            }
            return new Lookup(plan, null);
        } catch (java.nio.BufferUnderflowException e) {
            return new Lookup(null, "cached engine is truncated");
        }
    }
}
