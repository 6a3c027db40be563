package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.model.ModelManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SIGKILL at each step of a swap, then a restart: the box comes up with a working model, the old one when the
 * kill came before the commit and the new one after it, and no half-installed bundle is left behind. A test-only
 * agent ({@link dev.kensa.testing.SwapPauser}) holds the swap at each step; the product has no pause of its own.
 */
class SwapCrashIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void killAtEveryStepOfASwapLeavesAWorkingModel() throws Exception {
        Path a = TinyBundle.fit(tmp, "a", 0);
        Path b = TinyBundle.fit(tmp, "b", 12);
        String shaA = ModelLifecycleIT.sha(a);
        String shaB = ModelLifecycleIT.sha(b);
        Path zipB = tmp.resolve("b.zip");
        BundleWriter.zip(b, zipB);
        Path token = tmp.resolve("token");
        Files.writeString(token, "crash-test-token-0123456789");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        Path work = tmp.resolve("run");
        Path journal = tmp.resolve("journal");
        Path store = work.resolve("data/model-store");
        byte[] image = TinyBundle.image("good", 5);

        String expected = shaA;
        Path pauser = dev.kensa.testing.SwapPauser.jar(tmp);
        for (ModelManager.Step step : ModelManager.Step.values()) {
            // each daemon checks what the previous kill left, then swaps and is killed at the next step
            try (Daemon d = Daemon.start(work, a, journal, "-Dkensa.api.token-file=" + token,
                    "-javaagent:" + pauser + "=" + step)) {
                assertWorking(d, expected, image, "after a kill at the step before " + step);
                awaitLog(d, "kensa-test: swap pauser ready");
                CompletableFuture<HttpResponse<String>> swap = d.http.sendAsync(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + d.port + "/api/v1/model"))
                        .header("Authorization", "Bearer crash-test-token-0123456789")
                        .header("Content-Type", "application/zip")
                        .PUT(HttpRequest.BodyPublishers.ofFile(zipB)).build(), HttpResponse.BodyHandlers.ofString());
                awaitLog(d, "kensa-test: swap paused at " + step);
                d.kill();
                swap.handle((r, e) -> null).get(60, java.util.concurrent.TimeUnit.SECONDS); // the killed daemon's answer
            }
            expected = step == ModelManager.Step.COMMITTED ? shaB : shaA;
            if (expected.equals(shaB)) {
                break;
            }
        }
        try (Daemon d = Daemon.start(work, a, journal, "-Dkensa.api.token-file=" + token)) {
            assertWorking(d, shaB, image, "after a kill once the swap had committed");
            JsonNode model = JSON.readTree(d.get("/api/v1/model").body());
            assertEquals(shaA, model.path("previous").path("sha256").asText(), "the old model is kept for rollback");
        }
        try (var s = Files.list(store.resolve("staging"))) {
            assertEquals(0, s.count(), "staging is emptied at start");
        }
        try (var s = Files.list(store.resolve("bundles"))) {
            assertEquals(2, s.count(), "only the active and previous bundles are kept");
        }
    }

    private static void assertWorking(Daemon d, String sha, byte[] image, String when) throws Exception {
        JsonNode model = JSON.readTree(d.get("/api/v1/model").body());
        assertEquals(sha, model.path("active").path("sha256").asText(), when + ": " + model);
        HttpResponse<String> r = d.inspect(image);
        assertEquals(200, r.statusCode(), when + ": " + r.body());
        assertEquals(sha, JSON.readTree(r.body()).path("model").path("sha256").asText(), when);
    }

    private static void awaitLog(Daemon d, String line) throws Exception {
        String log = dev.kensa.testing.Wait.until("\"" + line + "\" in the daemon's log", java.time.Duration.ofSeconds(120),
                java.time.Duration.ofMillis(50), () -> Files.readString(d.log), l -> l.contains(line) || !d.process.isAlive());
        assertTrue(log.contains(line), "daemon died:\n" + Files.readString(d.log));
    }
}
