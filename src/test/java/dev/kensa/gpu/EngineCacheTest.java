package dev.kensa.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine cache's key and reuse/rebuild decision, on CPU: no TensorRT needed. */
class EngineCacheTest {
    static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    static final EngineCacheKey KEY = new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 224);
    static final byte[] PLAN = "pretend serialized engine".getBytes(StandardCharsets.UTF_8);

    @Test
    void everyFieldChangesTheKeyAndTheFileName() {
        List<EngineCacheKey> variants = List.of(KEY,
                new EngineCacheKey(SHA.replace('9', '8'), "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 224),
                new EngineCacheKey(SHA, "10.15.2", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A4000", 86, Precision.FP16, 8, 224, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 87, Precision.FP16, 8, 224, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP32, 8, 224, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 4, 224, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 256, 224),
                new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 256));
        Set<String> canonical = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (EngineCacheKey k : variants) {
            canonical.add(k.canonical());
            names.add(k.fileName());
        }
        assertEquals(variants.size(), canonical.size());
        assertEquals(variants.size(), names.size());
    }

    @Test
    void fileNameIsStableAndFilesystemSafe() {
        EngineCacheKey odd = new EngineCacheKey(SHA, "10.15.1+cuda13/x", "NVIDIA \"GeForce\" RTX/4090: 24GB;*?", 89,
                Precision.FP32, 16, 224, 224);
        for (EngineCacheKey k : List.of(KEY, odd)) {
            assertTrue(k.fileName().matches("[A-Za-z0-9._-]+"), k.fileName());
            assertTrue(k.fileName().length() < 128, k.fileName());
        }
        assertEquals(KEY.fileName(), new EngineCacheKey(SHA, "10.15.1", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 224).fileName());
        assertTrue(KEY.fileName().startsWith("resnet-9f86d081884c-trt10.15.1-sm86-fp16-b8-224x224-"), KEY.fileName());
        assertThrows(IllegalArgumentException.class, () -> new EngineCacheKey(SHA, "10", "g", 86, Precision.FP16, 0, 224, 224));
    }

    @Test
    void buildsOnceThenReuses(@TempDir Path dir) {
        EngineCache cache = new EngineCache(dir.resolve("engine-cache"));
        AtomicInteger builds = new AtomicInteger();
        EngineCache.Result first = cache.loadOrBuild(KEY, () -> { builds.incrementAndGet(); return PLAN; });
        assertTrue(first.built());
        assertTrue(first.reason().contains("no cached engine"), first.reason());
        EngineCache.Result second = cache.loadOrBuild(KEY, () -> { builds.incrementAndGet(); return PLAN; });
        assertFalse(second.built());
        assertArrayEquals(PLAN, second.plan());
        assertEquals(1, builds.get());
        assertTrue(Files.isRegularFile(cache.fileFor(KEY)));
    }

    @Test
    void corruptTruncatedForeignOrMismatchedFilesAreRebuilt(@TempDir Path dir) throws Exception {
        EngineCache cache = new EngineCache(dir);
        cache.store(KEY, PLAN);
        Path file = cache.fileFor(KEY);
        byte[] good = Files.readAllBytes(file);

        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;
        assertRebuild(cache, file, flipped, "checksum");
        assertRebuild(cache, file, java.util.Arrays.copyOf(good, good.length - 3), "truncated");
        assertRebuild(cache, file, java.util.Arrays.copyOf(good, 10), "");
        assertRebuild(cache, file, new byte[0], "");
        assertRebuild(cache, file, "a raw TensorRT plan, no header".getBytes(StandardCharsets.UTF_8), "no Kensa header");
        // a file that another key wrote under this key's name (renamed by hand, or a hash collision)
        EngineCacheKey other = new EngineCacheKey(SHA, "10.14.0", "NVIDIA RTX A2000", 86, Precision.FP16, 8, 224, 224);
        assertRebuild(cache, file, EngineCache.encode(other, PLAN), "another key");

        Files.write(file, good);
        assertTrue(cache.lookup(KEY).hit());
    }

    private static void assertRebuild(EngineCache cache, Path file, byte[] content, String why) throws Exception {
        Files.write(file, content);
        EngineCache.Lookup l = cache.lookup(KEY);
        assertFalse(l.hit(), why);
        assertTrue(l.rebuildReason().contains(why), l.rebuildReason());
        byte[] rebuilt = "new plan".getBytes(StandardCharsets.UTF_8);
        EngineCache.Result r = cache.loadOrBuild(KEY, () -> rebuilt);
        assertTrue(r.built());
        assertArrayEquals(rebuilt, cache.lookup(KEY).plan(), "the rebuilt engine replaced the bad file");
    }

    @Test
    void storeLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        EngineCache cache = new EngineCache(dir);
        cache.store(KEY, PLAN);
        cache.store(KEY, PLAN); // overwrite in place
        try (var s = Files.list(dir)) {
            assertEquals(List.of(KEY.fileName()), s.map(p -> p.getFileName().toString()).toList());
        }
        assertNotEquals(0, Files.size(cache.fileFor(KEY)));
    }
}
