package dev.kensa.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelStoreTest {
    @TempDir
    Path tmp;

    @Test
    void stateSurvivesReopeningAndStagingLeftoversAreRemoved() throws Exception {
        ModelStore s = ModelStore.open(tmp);
        assertNull(s.state().active());
        Path staged = s.newStagingDir();
        Files.writeString(staged.resolve("half-an-upload.zip"), "x");
        Path dir = Files.createDirectories(tmp.resolve("verified"));
        Files.writeString(dir.resolve("manifest.json"), "{}");
        String sha = "ab".repeat(32);
        Path installed = s.install(dir, sha);
        assertEquals(tmp.resolve("bundles").resolve("abababababababab"), installed);
        assertFalse(Files.exists(dir), "installed by a rename");
        s.commit(new ModelStore.State(ModelStore.nameOf(sha), null, Map.of()).withOverride(sha,
                new ModelStore.ThresholdOverride(12.5, "qa@10.0.0.1", "2026-11-23T08:00:00Z", "trial")));
        // a crash left a temporary state next to the committed one: it is ignored and removed
        Files.writeString(tmp.resolve("state.json.tmp"), "{\"active\":\"torn");

        ModelStore again = ModelStore.open(tmp);
        assertEquals("abababababababab", again.state().active());
        assertEquals(12.5, again.state().overrides().get(sha).value());
        assertEquals("qa@10.0.0.1", again.state().overrides().get(sha).by());
        assertFalse(Files.exists(tmp.resolve("state.json.tmp")));
        try (var st = Files.list(tmp.resolve("staging"))) {
            assertEquals(0, st.count(), "a swap cut short leaves nothing in staging after a restart");
        }
    }

    @Test
    void installingABundleThatIsAlreadyThereKeepsTheInstalledCopy() throws Exception {
        ModelStore s = ModelStore.open(tmp);
        String sha = "cd".repeat(32);
        Path first = Files.createDirectories(tmp.resolve("one"));
        Files.writeString(first.resolve("f"), "installed");
        s.install(first, sha);
        Path second = Files.createDirectories(tmp.resolve("two"));
        Files.writeString(second.resolve("f"), "duplicate upload");
        Path installed = s.install(second, sha);
        assertEquals("installed", Files.readString(installed.resolve("f")));
        assertFalse(Files.exists(second));
    }

    @Test
    void garbageCollectionKeepsOnlyActiveAndPrevious() throws Exception {
        ModelStore s = ModelStore.open(tmp);
        for (String n : new String[]{"a", "b", "c"}) {
            Files.createDirectories(tmp.resolve("bundles").resolve(n + "0".repeat(15)));
        }
        s.commit(new ModelStore.State("a" + "0".repeat(15), "c" + "0".repeat(15), Map.of()));
        s.collectGarbage();
        assertTrue(Files.isDirectory(tmp.resolve("bundles").resolve("a" + "0".repeat(15))));
        assertFalse(Files.exists(tmp.resolve("bundles").resolve("b" + "0".repeat(15))));
        assertTrue(Files.isDirectory(tmp.resolve("bundles").resolve("c" + "0".repeat(15))));
    }

    @Test
    void uploadOverTheLimitIsRefusedWhileItArrives() throws Exception {
        Path ok = tmp.resolve("ok.zip");
        assertEquals(1000, ModelStore.receive(new ByteArrayInputStream(new byte[1000]), ok, 1000));
        ModelStore.UploadTooLargeException e = assertThrows(ModelStore.UploadTooLargeException.class,
                () -> ModelStore.receive(new ByteArrayInputStream(new byte[1001]), tmp.resolve("big.zip"), 1000));
        assertTrue(e.getMessage().contains("1000 bytes") && e.getMessage().contains("kensa.model.max-upload-bytes"));
        assertTrue(Files.size(tmp.resolve("big.zip")) <= 1000, "no more than the limit is ever written");
    }

    @Test
    void auditLogKeepsEveryEventInOrderAndSkipsATornLastLine() throws Exception {
        ModelStore s = ModelStore.open(tmp);
        s.audit(Map.of("event", "swap", "by", "a"));
        s.audit(Map.of("event", "refusal", "reason", "bad signature"));
        Files.writeString(tmp.resolve("audit.log"), "{\"event\":\"thr", java.nio.file.StandardOpenOption.APPEND);
        var tail = s.auditTail(10);
        assertEquals(2, tail.size());
        assertEquals("swap", tail.get(0).get("event"));
        assertEquals("bad signature", tail.get(1).get("reason"));
        assertEquals("refusal", s.auditTail(1).get(0).get("event"));
        s.audit(Map.of("event", "rollback"));
        assertEquals(java.util.List.of("swap", "refusal", "rollback"), s.auditTail(10).stream().map(m -> m.get("event")).toList(),
                "an event after a torn line is not glued to it");
    }

    @Test
    void installingABundleThatIsAlreadyThereTakesTheSignatureItArrivesWith() throws Exception {
        ModelStore s = ModelStore.open(tmp);
        String sha = "ef".repeat(32);
        Path unsigned = Files.createDirectories(tmp.resolve("unsigned"));
        Files.writeString(unsigned.resolve("manifest.json"), "{}");
        s.install(unsigned, sha);
        Path signed = Files.createDirectories(tmp.resolve("signed"));
        Files.writeString(signed.resolve("manifest.json"), "{}");
        Files.writeString(signed.resolve("manifest.sig"), "signature of the same manifest");
        Path installed = s.install(signed, sha);
        assertEquals("signature of the same manifest", Files.readString(installed.resolve("manifest.sig")));
        assertFalse(Files.exists(installed.resolve("manifest.sig.tmp")));

        Path againUnsigned = Files.createDirectories(tmp.resolve("again"));
        Files.writeString(againUnsigned.resolve("manifest.json"), "{}");
        s.install(againUnsigned, sha);
        assertEquals("signature of the same manifest", Files.readString(installed.resolve("manifest.sig")),
                "a copy arriving unsigned keeps the stored signature of the same manifest");
    }
}
