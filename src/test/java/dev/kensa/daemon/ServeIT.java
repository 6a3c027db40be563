package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged daemon as a process: real HTTP, real images, real SIGKILL. */
class ServeIT {
    @TempDir
    static Path tmp;
    static Path bundle;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void fit() throws Exception {
        bundle = TinyBundle.fit(tmp);
    }

    static byte[] image(String type, int i) throws Exception {
        return TinyBundle.image(type, i);
    }

    @Test
    void tensorrtBackendWithoutAGpuFailsFastSayingWhy() throws Exception {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Daemon.start(tmp.resolve("run-trt"), bundle, tmp.resolve("journal-trt"), "-Dkensa.backend=tensorrt"));
        // fails fast: the process exits with an error by itself, where a hang would end the readiness polling instead
        assertTrue(e.getMessage().matches("(?s)daemon exited with [1-9][0-9]*:.*"), e.getMessage());
        assertTrue(e.getMessage().contains("kensa.backend=tensorrt but TensorRT/CUDA is not available"), e.getMessage());
        assertFalse(e.getMessage().contains("loaded and self-tested"), "it stops before loading a model: " + e.getMessage());
    }

    @Test
    void inspectsOverHttpAndJournalsEveryResultIncludingErrors() throws Exception {
        Path journal = tmp.resolve("journal-http");
        List<String> ids = new ArrayList<>();
        try (Daemon d = Daemon.start(tmp.resolve("run1"), bundle, journal)) {
            JsonNode ready = JSON.readTree(d.get("/q/health/ready").body());
            assertEquals("UP", ready.get("status").asText());
            String checks = ready.get("checks").toString();
            assertTrue(checks.contains("\"model\"") && checks.contains("\"disk\"") && checks.contains("freeBytes"), checks);
            // no GPU here: the model runs on the CPU, so readiness has no gpu check (an always-UP one looked broken)
            assertFalse(checks.contains("\"gpu\""), checks);
            // nor checks of sources that are not configured: no hot folder, no broker
            assertFalse(checks.contains("\"hotFolder\"") || checks.contains("\"mqttInspect\""), checks);
            String log = Files.readString(d.log);
            assertEquals(1, log.lines().filter(l -> l.endsWith("no GPU (CPU backend)")).count(), log);
            assertFalse(log.contains("UnsatisfiedLinkError") || log.contains("libcuda"), "the loader's reason is debug-level: " + log);
            // the test polled readiness several times while the model loaded: one line, not one per poll
            assertTrue(log.lines().filter(l -> l.contains("not ready")).count() <= 1, log);
            assertFalse(log.contains("Reporting health down status"), log);

            HttpResponse<String> ng = d.inspect(image("broken_large", 0));
            assertEquals(200, ng.statusCode(), ng.body());
            JsonNode r = JSON.readTree(ng.body());
            assertEquals("NG", r.get("verdict").asText());
            assertTrue(r.get("normalizedScore").asDouble() > 1);
            assertTrue(r.get("regions").size() > 0);
            ids.add(r.get("id").asText());

            HttpResponse<String> bad = d.inspect("not an image at all".getBytes());
            assertEquals(422, bad.statusCode(), bad.body());
            JsonNode e = JSON.readTree(bad.body());
            assertEquals("ERROR", e.get("verdict").asText());
            assertTrue(e.get("error").asText().contains("cannot decode"), e.toString());
            ids.add(e.get("id").asText());

            // the daemon keeps serving after a bad image
            HttpResponse<String> ok = d.inspect(image("good", 1));
            assertEquals(200, ok.statusCode());
            ids.add(JSON.readTree(ok.body()).get("id").asText());

            // the NG list, JSON and CSV, and the NG part's heatmap
            JsonNode ngList = JSON.readTree(d.get("/api/v1/results?verdict=NG").body());
            assertEquals(1, ngList.size());
            assertEquals(ids.get(0), ngList.get(0).get("id").asText());
            JsonNode all = JSON.readTree(d.get("/api/v1/results?limit=10").body());
            assertEquals(3, all.size());
            assertEquals(ids.get(2), all.get(0).get("id").asText(), "newest first");
            HttpResponse<String> csv = d.http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + d.port + "/api/v1/results?verdict=ERROR"))
                    .header("Accept", "text/csv").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, csv.statusCode());
            List<String> rows = csv.body().lines().toList();
            assertEquals(2, rows.size(), csv.body());
            assertTrue(rows.get(0).startsWith("id,ts,source,verdict,score"));
            assertTrue(rows.get(1).startsWith(ids.get(1) + ",") && rows.get(1).contains(",ERROR,"), rows.get(1));
            assertEquals(400, d.get("/api/v1/results?verdict=MAYBE").statusCode());
            // a bad query parameter is a 400 that names it, never an empty 404
            for (String path : List.of("/api/v1/results?limit=abc", "/api/v1/results?limit=0", "/api/v1/results?since=yesterday",
                    "/api/v1/model/audit?limit=abc", "/api/v1/model/audit?limit=-5")) {
                HttpResponse<String> bad400 = d.get(path);
                assertEquals(400, bad400.statusCode(), path + ": " + bad400.body());
                JsonNode body = JSON.readTree(bad400.body());
                String param = path.substring(path.indexOf('?') + 1, path.indexOf('='));
                assertEquals(param, body.get("parameter").asText(), path + ": " + bad400.body());
                assertTrue(body.get("error").asText().startsWith(param + " must be"), path + ": " + bad400.body());
            }
            assertEquals(0, JSON.readTree(d.get("/api/v1/results?since=2999-01-01T00:00:00Z").body()).size());
            HttpResponse<byte[]> jpg = d.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + d.port + "/api/v1/results/" + ids.get(0) + "/heatmap.jpg")).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, jpg.statusCode());
            assertEquals((byte) 0xFF, jpg.body()[0]);
            assertEquals((byte) 0xD8, jpg.body()[1]);

            // field checks: status JSON and Prometheus metrics agree with what was inspected
            JsonNode status = JSON.readTree(d.get("/api/v1/status").body());
            assertEquals("online", status.get("state").asText());
            assertEquals(1, status.get("counters").get("NG").asInt());
            assertEquals(1, status.get("counters").get("ERROR").asInt());
            assertEquals(3, status.get("journal").get("lastSeq").asInt());
            // auto on a box without a GPU: the CPU route, said in words; the loader's reason only as a detail
            assertEquals("host", status.get("route").asText());
            assertEquals("no GPU (CPU backend)", status.get("gpu").asText(), status.toString());
            assertTrue(status.get("gpuDetail").asText().contains("libcuda.so"), status.toString());
            String metrics = d.get("/q/metrics").body();
            assertTrue(metrics.contains("kensa_inspections_total{verdict=\"NG\"} 1.0"), metrics);
            assertTrue(metrics.contains("kensa_stage_seconds_bucket{stage=\"backbone\""), "per-stage histograms");
            assertTrue(metrics.contains("kensa_journal_backlog 3.0"), "no broker configured: all 3 wait in the journal");
        }
        // NG parts are kept on disk with their original image
        try (var s = Files.list(tmp.resolve("run1").resolve("data/ng"))) {
            assertEquals(3, s.count(), "json + heatmap + image of the one NG part");
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            List<JournalEntry> all = j.read(1, 100);
            assertEquals(ids, all.stream().map(JournalEntry::id).toList());
            assertEquals(dev.kensa.verdict.Verdict.NG, all.get(0).verdict());
            assertTrue(all.get(0).heatmap().length > 1000, "NG result journalled with its heatmap");
            assertEquals(dev.kensa.verdict.Verdict.ERROR, all.get(1).verdict());
        }
    }

    @Test
    void hotFolderInspectsEachFileOnceAndFilesItByVerdictAfterJournalling() throws Exception {
        Path journal = tmp.resolve("journal-hot");
        Path hot = Files.createDirectories(tmp.resolve("hot"));
        try (Daemon d = Daemon.start(tmp.resolve("run-hot"), bundle, journal, "-Dkensa.hot-folder.dir=" + hot,
                "-Dkensa.hot-folder.settle-millis=300")) {
            Files.write(hot.resolve("good.png.part"), image("good", 3));
            Files.move(hot.resolve("good.png.part"), hot.resolve("good.png"));
            Files.write(hot.resolve("broken.png"), image("broken_large", 4));
            Files.writeString(hot.resolve("corrupt.png"), "garbage");
            Awaitility.await("three files filed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions().until(() -> Files.exists(hot.resolve("done/good.png"))
                            && Files.exists(hot.resolve("ng/broken.png")) && Files.exists(hot.resolve("error/corrupt.png")));
            assertTrue(Files.exists(hot.resolve("done/good.png")), "good part filed under done/");
            assertTrue(Files.exists(hot.resolve("ng/broken.png")), "broken part filed under ng/");
            assertTrue(Files.exists(hot.resolve("error/corrupt.png")), "corrupt file filed under error/");
            assertEquals(200, d.inspect(image("good", 5)).statusCode(), "still serving");
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            List<JournalEntry> all = j.read(1, 100);
            assertEquals(4, all.size(), "three hot-folder files once each + one HTTP inspection");
            Set<String> verdicts = new HashSet<>();
            for (JournalEntry e : all) {
                JsonNode r = JSON.readTree(e.json());
                if (r.get("source").asText().startsWith(hot.toString())) {
                    verdicts.add(r.get("source").asText().substring(hot.toString().length() + 1) + "=" + e.verdict());
                }
            }
            assertEquals(Set.of("good.png=OK", "broken.png=NG", "corrupt.png=ERROR"), verdicts);
        }
    }

    @Test
    void notReadyWhenTheJournalDiskIsBelowItsMinimum() throws Exception {
        Path work = tmp.resolve("run-disk");
        try (Daemon full = Daemon.start("/q/health/live", work, bundle, work.resolve("journal"),
                "-Dkensa.journal.min-free-bytes=" + Long.MAX_VALUE)) {
            HttpResponse<String> r = Awaitility.await("the model up").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> full.get("/q/health/ready"),
                            ready -> ready.body().contains("sha256"));
            assertEquals(503, r.statusCode(), r.body());
            JsonNode checks = JSON.readTree(r.body()).get("checks");
            for (JsonNode c : checks) {
                assertEquals(c.get("name").asText().equals("disk") ? "DOWN" : "UP", c.get("status").asText(), c.toString());
            }
        }
    }

    @Test
    void aBoxWithAPublicKeyRefusesToServeAnUnsignedBundle() throws Exception {
        Path key = tmp.resolve("box.pub");
        dev.kensa.bundle.BundleSignature.writePublic(key, dev.kensa.bundle.BundleSignature.generate().getPublic());
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Daemon.start("/q/health/ready", tmp.resolve("run-unsigned"), bundle, tmp.resolve("journal-unsigned"),
                        "-Dkensa.model.public-key=" + key).close());
        assertTrue(e.getMessage().contains("unsigned bundle refused"), e.getMessage());
    }

    @Test
    void fullQueueRefusesWithRetryAfterAndEveryAcceptedImageIsJournalled() throws Exception {
        Path journal = tmp.resolve("journal-queue");
        byte[] img = image("good", 7);
        List<Integer> codes = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
        int n = 24;
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(n);
        try (Daemon d = Daemon.start(tmp.resolve("run-queue"), bundle, journal, "-Dkensa.queue-capacity=1",
                "-Dkensa.batch-size=1")) {
            d.inspect(img); // warm the connection pool and the JIT so the burst below is truly simultaneous
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> {
                    try {
                        together.await(10, java.util.concurrent.TimeUnit.SECONDS); // all send at once
                        HttpResponse<String> r = d.inspect(img);
                        codes.add(r.statusCode());
                        if (r.statusCode() == 200) {
                            accepted.add(JSON.readTree(r.body()).get("id").asText());
                        } else {
                            assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                        }
                    } catch (Exception e) {
                        codes.add(-1);
                    }
                });
                clients.add(t);
                t.start();
            }
            for (Thread t : clients) {
                t.join(60_000);
            }
            assertEquals(n, codes.size());
            assertTrue(codes.stream().allMatch(c -> c == 200 || c == 503), codes.toString());
            assertTrue(codes.contains(503), n + " simultaneous requests overflow a queue of 1: " + codes);
            assertTrue(codes.contains(200), codes.toString());
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            Set<String> journalled = new HashSet<>();
            j.read(1, 100).forEach(e -> journalled.add(e.id()));
            journalled.remove(j.read(1, 1).get(0).id()); // the warm-up request
            assertEquals(new HashSet<>(accepted), journalled, "exactly the accepted images were journalled");
        }
    }

    private static int answeredCount(List<String> answered) {
        synchronized (answered) {
            return answered.size();
        }
    }

    @Test
    void sigkillMidStreamLosesNoAnsweredResult() throws Exception {
        Path journal = tmp.resolve("journal-kill");
        List<String> answered = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Exception> clientFailure = new java.util.concurrent.atomic.AtomicReference<>();
        try (Daemon d = Daemon.start(tmp.resolve("run2"), bundle, journal)) {
            Thread client = new Thread(() -> {
                try {
                    for (int i = 0; i < 60; i++) {
                        HttpResponse<String> r = d.inspect(image(i % 2 == 0 ? "good" : "broken_small", i % 19));
                        synchronized (answered) {
                            answered.add(JSON.readTree(r.body()).get("id").asText());
                        }
                    }
                } catch (Exception e) {
                    clientFailure.set(e); // expected once the daemon is killed under it; a failure before that
                }
            });
            client.setDaemon(true);
            client.start();
            Awaitility.await("12 answered").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                    .until(() -> answeredCount(answered) >= 12 || !client.isAlive());
            if (answeredCount(answered) < 12) {
                throw new AssertionError("the client stopped after " + answeredCount(answered) + " answers, before the "
                        + "kill", clientFailure.get());
            }
            d.kill();
            client.join(10_000);
        }
        List<String> before;
        synchronized (answered) {
            before = List.copyOf(answered);
        }
        assertTrue(before.size() >= 12 && before.size() < 60, "killed mid-stream after " + before.size());
        // restart on the same journal (recovers a torn tail): the results list still has every answered result
        try (Daemon again = Daemon.start(tmp.resolve("run3"), bundle, journal)) {
            Set<String> listed = new HashSet<>();
            JSON.readTree(again.get("/api/v1/results?limit=1000").body()).forEach(n -> listed.add(n.get("id").asText()));
            assertTrue(listed.containsAll(before), "results answered before the power cut are listed after it");
            assertEquals(200, again.inspect(image("good", 2)).statusCode());
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            Set<String> journalled = new HashSet<>();
            j.read(1, 1000).forEach(e -> journalled.add(e.id()));
            for (String id : before) {
                assertTrue(journalled.contains(id), "answered result " + id + " missing from the journal after SIGKILL");
            }
            assertTrue(journalled.size() >= before.size() + 1);
        }
    }
}
