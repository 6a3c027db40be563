package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.bundle.BundleSignature;
import dev.kensa.bundle.BundleWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hot swap, rollback, refusals, threshold override and the token on the packaged daemon (issue: model lifecycle):
 * a real process, real bundles fitted on bottle images, signed with a real Ed25519 key, uploaded over HTTP.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelLifecycleIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "s3cret-token-for-the-lifecycle-test";

    @TempDir
    static Path tmp;
    static Path bundleA;
    static Path zipB;
    static Path zipC;
    static String shaA;
    static String shaB;
    static String shaC;
    static KeyPair key;
    static Daemon daemon;

    @BeforeAll
    static void setUp() throws Exception {
        key = BundleSignature.generate();
        Path pub = tmp.resolve("signing.pub");
        BundleSignature.writePublic(pub, key.getPublic());
        bundleA = TinyBundle.fit(tmp, "a", 0);
        Path b = TinyBundle.fit(tmp, "b", 12);
        // C is a PatchCore bundle: a swap may change the method, under traffic like any other
        Path c = TinyBundle.fit(tmp, "c", 24, "patchcore");
        for (Path p : List.of(bundleA, b, c)) {
            BundleSignature.sign(p, key.getPrivate());
        }
        shaA = sha(bundleA);
        shaB = sha(b);
        shaC = sha(c);
        zipB = tmp.resolve("b.zip");
        zipC = tmp.resolve("c.zip");
        BundleWriter.zip(b, zipB);
        BundleWriter.zip(c, zipC);
        Path token = tmp.resolve("api.token");
        Files.writeString(token, TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        daemon = Daemon.start(tmp.resolve("run"), bundleA, tmp.resolve("journal"),
                "-Dkensa.api.token-file=" + token, "-Dkensa.model.public-key=" + pub,
                // small enough that the zip bomb below trips it, large enough for a real bundle (~75 MB)
                "-Dkensa.model.max-extracted-bytes=150000000");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static String sha(Path bundleDir) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(bundleDir.resolve("manifest.json"))));
    }

    static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body, String token,
                                     String contentType) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port + path))
                .method(method, body).header("X-Kensa-User", "it-tester");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return daemon.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> upload(Path zip) throws Exception {
        return send("PUT", "/api/v1/model", HttpRequest.BodyPublishers.ofFile(zip), TOKEN, "application/zip");
    }

    static String activeSha() throws Exception {
        return JSON.readTree(daemon.get("/api/v1/model").body()).path("active").path("sha256").asText();
    }

    record Outcome(long startedNs, int status, String sha, String verdict) {
    }

    @Test
    @Order(1)
    void swapsTwiceAndRollsBackUnderLoadWithoutAFailedInspection() throws Exception {
        assertEquals(shaA, activeSha());
        byte[] good = TinyBundle.image("good", 1);
        byte[] ng = TinyBundle.image("broken_large", 2);
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            byte[] img = c == 0 ? good : ng;
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = daemon.inspect(img);
                        JsonNode j = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                        outcomes.add(new Outcome(t0, r.statusCode(), j == null ? r.body() : j.path("model").path("sha256").asText(),
                                j == null ? null : j.path("verdict").asText()));
                    } catch (Exception e) {
                        outcomes.add(new Outcome(t0, -1, e.toString(), null));
                    }
                }
            }, "client-" + c);
            t.start();
            clients.add(t);
        }
        long[] switched = new long[3];
        try {
            awaitCount(outcomes, 60);
            HttpResponse<String> r1 = upload(zipB);
            switched[0] = System.nanoTime();
            assertEquals(200, r1.statusCode(), r1.body());
            assertEquals(shaB, JSON.readTree(r1.body()).path("sha256").asText());
            awaitCount(outcomes, outcomes.size() + 120);
            HttpResponse<String> r2 = upload(zipC);
            switched[1] = System.nanoTime();
            assertEquals(200, r2.statusCode(), r2.body());
            awaitCount(outcomes, outcomes.size() + 120);
            HttpResponse<String> r3 = send("POST", "/api/v1/model/rollback", HttpRequest.BodyPublishers.noBody(), TOKEN, null);
            switched[2] = System.nanoTime();
            assertEquals(200, r3.statusCode(), r3.body());
            assertEquals(shaB, JSON.readTree(r3.body()).path("sha256").asText());
            awaitCount(outcomes, Math.max(520, outcomes.size() + 100));
        } finally {
            stop.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        List<Outcome> all = new ArrayList<>(outcomes);
        assertTrue(all.size() >= 500, "only " + all.size() + " inspections");
        List<Outcome> failed = all.stream().filter(o -> o.status() != 200).toList();
        assertTrue(failed.isEmpty(), failed.size() + " of " + all.size() + " inspections failed, first: " + (failed.isEmpty() ? "" : failed.get(0)));
        Set<String> seen = new LinkedHashSet<>();
        for (Outcome o : all) {
            seen.add(o.sha());
            assertTrue(Set.of(shaA, shaB, shaC).contains(o.sha()), "result names an unknown model " + o.sha());
            // a request sent after a switch had answered is scored by that switch's model or a later one
            Set<String> allowed = o.startedNs() > switched[2] ? Set.of(shaB)
                    : o.startedNs() > switched[1] ? Set.of(shaC, shaB)
                    : o.startedNs() > switched[0] ? Set.of(shaB, shaC) : Set.of(shaA, shaB, shaC);
            assertTrue(allowed.contains(o.sha()), "request started " + (o.startedNs() - switched[0]) / 1e6
                    + " ms after the first switch (switches at 0, " + (switched[1] - switched[0]) / 1e6 + ", "
                    + (switched[2] - switched[0]) / 1e6 + " ms; A " + shaA + ", B " + shaB + ", C " + shaC
                    + ") was scored by an older model: " + o.sha());
        }
        assertEquals(Set.of(shaA, shaB, shaC), seen);
        assertTrue(all.stream().allMatch(o -> o.verdict().equals("OK") || o.verdict().equals("NG")));

        JsonNode model = JSON.readTree(daemon.get("/api/v1/model").body());
        assertEquals(shaB, model.path("active").path("sha256").asText());
        assertEquals("padim", model.path("active").path("method").asText());
        assertEquals(shaC, model.path("previous").path("sha256").asText(), model.toString());
        assertEquals("patchcore", model.path("previous").path("method").asText(), model.toString());
        assertTrue(model.path("active").path("selfTest").path("passed").asBoolean());
        List<String> events = new ArrayList<>();
        for (JsonNode e : JSON.readTree(daemon.get("/api/v1/model/audit").body())) {
            events.add(e.path("event").asText() + ":" + e.path("model").path("sha256").asText(""));
        }
        assertEquals(List.of("load:" + shaA, "swap:" + shaB, "swap:" + shaC, "rollback:" + shaB), events);
        String metrics = daemon.get("/q/metrics").body();
        assertTrue(metrics.contains("kensa_model_swaps_total 3.0"), metrics.lines().filter(l -> l.contains("swaps")).toList().toString());
    }

    // ------------------------------------------------------------------ refusals

    private static void assertRefused(HttpResponse<String> r, int status, String... reasonParts) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        String reason = JSON.readTree(r.body()).path("error").asText();
        for (String part : reasonParts) {
            assertTrue(reason.contains(part), "reason \"" + reason + "\" does not say " + part);
        }
    }

    /** Copies bundle A, lets {@code change} tamper with it, re-signs it with the trusted key, zips it. */
    private static Path tampered(String name, Tamper change, boolean resign) throws Exception {
        Path dir = tmp.resolve("tampered-" + name);
        try (var s = Files.walk(bundleA)) {
            for (Path p : s.toList()) {
                Path t = dir.resolve(bundleA.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        change.apply(dir);
        if (resign) {
            BundleSignature.sign(dir, key.getPrivate());
        }
        Path zip = tmp.resolve("tampered-" + name + ".zip");
        zipRaw(dir, zip, null);
        return zip;
    }

    interface Tamper {
        void apply(Path dir) throws Exception;
    }

    /** Zips every file of {@code dir} as it is (no verification), plus one extra raw entry when given. */
    private static void zipRaw(Path dir, Path zip, String extraEntry) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip)); var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                z.putNextEntry(new ZipEntry(dir.relativize(p).toString()));
                Files.copy(p, z);
                z.closeEntry();
            }
            if (extraEntry != null) {
                z.putNextEntry(new ZipEntry(extraEntry));
                z.write("owned".getBytes(StandardCharsets.US_ASCII));
                z.closeEntry();
            }
        }
    }

    private static void rehash(Path dir, String file) throws Exception {
        ObjectNode m = (ObjectNode) JSON.readTree(dir.resolve("manifest.json").toFile());
        ((ObjectNode) m.get("sha256")).put(file, HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(file)))));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("manifest.json").toFile(), m);
    }

    @Test
    @Order(2)
    void refusesEveryBadBundleWithAReasonAndKeepsTheRunningModel() throws Exception {
        String before = activeSha();
        List<String> checked = new ArrayList<>();

        // no token / wrong token
        assertRefused(send("PUT", "/api/v1/model", HttpRequest.BodyPublishers.ofFile(zipC), null, "application/zip"), 401, "Bearer");
        assertEquals("Bearer realm=\"kensa\"", send("POST", "/api/v1/model/rollback",
                HttpRequest.BodyPublishers.noBody(), null, null).headers().firstValue("WWW-Authenticate").orElse(null));
        assertRefused(send("PUT", "/api/v1/model", HttpRequest.BodyPublishers.ofFile(zipC), "wrong-token", "application/zip"), 403, "wrong API token");
        assertRefused(send("POST", "/api/v1/model/rollback", HttpRequest.BodyPublishers.noBody(), "wrong-token", null), 403);
        assertRefused(send("PUT", "/api/v1/model/threshold", HttpRequest.BodyPublishers.ofString("{\"value\":1,\"by\":\"x\"}"),
                null, "application/json"), 401);
        checked.add("token");

        // wrong checksum: stats.bin changed after signing, manifest still has the old sha256
        assertRefused(upload(tampered("checksum", d -> flipByte(d.resolve("stats.bin"), 1000), true)), 422, "stats.bin", "sha256 mismatch");
        checked.add("checksum");
        // bad signature: signed by someone else's key
        Path other = tampered("other-key", d -> BundleSignature.sign(d, BundleSignature.generate().getPrivate()), false);
        assertRefused(upload(other), 422, "bad signature");
        // manifest changed after signing
        assertRefused(upload(tampered("resigned-not", d -> {
            ObjectNode m = (ObjectNode) JSON.readTree(d.resolve("manifest.json").toFile());
            m.put("name", "renamed after signing");
            JSON.writeValue(d.resolve("manifest.json").toFile(), m);
        }, false)), 422, "bad signature");
        checked.add("signature");
        // unsigned while a key is configured
        assertRefused(upload(tampered("unsigned", d -> Files.delete(d.resolve("manifest.sig")), false)), 422, "unsigned");
        checked.add("unsigned");
        // zip-slip
        Path slip = tmp.resolve("slip.zip");
        zipRaw(bundleA, slip, "../../escaped.txt");
        assertRefused(upload(slip), 422, "escaped.txt");
        assertFalse(Files.exists(tmp.resolve("run").resolve("escaped.txt")));
        checked.add("zip-slip");
        // zip bomb: 200 MB of zeros compress to ~200 KB, over the 150 MB extraction limit
        Path bomb = tmp.resolve("bomb.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(bomb))) {
            z.putNextEntry(new ZipEntry("stats.bin"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 200; i++) {
                z.write(zeros);
            }
            z.closeEntry();
        }
        assertTrue(Files.size(bomb) < 2_000_000);
        assertRefused(upload(bomb), 422, "expands to more than 150000000 bytes");
        checked.add("zip-bomb");
        // truncated zip
        Path cut = tmp.resolve("cut.zip");
        byte[] whole = Files.readAllBytes(zipC);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertRefused(upload(cut), 422, "zip");
        checked.add("truncated");
        // self-test scores disagree (a bundle whose golden scores are not what its model gives)
        assertRefused(upload(tampered("selftest", d -> {
            ObjectNode m = (ObjectNode) JSON.readTree(d.resolve("manifest.json").toFile());
            ObjectNode first = (ObjectNode) m.get("selfTest").get(0);
            first.put("expectedScore", first.get("expectedScore").asDouble() + 1.0);
            JSON.writeValue(d.resolve("manifest.json").toFile(), m);
        }, true)), 422, "self-test");
        checked.add("self-test");
        // a backbone that does not load (checksummed and signed, but not an ONNX model)
        assertRefused(upload(tampered("backbone", d -> {
            Files.writeString(d.resolve("backbone.onnx"), "this is not an onnx model");
            rehash(d, "backbone.onnx");
        }, true)), 422, "backbone");
        checked.add("backbone");
        // the active bundle again
        HttpResponse<String> same = upload(zipB);
        assertRefused(same, 409, "already active");

        assertEquals(before, activeSha(), "a refusal changed the active model");
        HttpResponse<String> still = daemon.inspect(TinyBundle.image("good", 3));
        assertEquals(200, still.statusCode(), still.body());
        assertEquals(before, JSON.readTree(still.body()).path("model").path("sha256").asText());
        JsonNode model = JSON.readTree(daemon.get("/api/v1/model").body());
        assertTrue(model.path("refusals").asInt() >= 9, model.toString());
        long auditedRefusals = 0;
        List<String> reasons = new ArrayList<>();
        for (JsonNode e : JSON.readTree(daemon.get("/api/v1/model/audit?limit=1000").body())) {
            if (e.path("event").asText().equals("refusal")) {
                auditedRefusals++;
                reasons.add(e.path("reason").asText());
                assertFalse(e.path("reason").asText().isBlank());
            }
        }
        assertEquals(10, auditedRefusals, "every bundle refusal is audited (token refusals never reach the model): " + reasons);
        assertEquals(9, checked.size());
        // staging is emptied after every refusal; only the active and previous bundles are kept
        Path store = tmp.resolve("run").resolve("data/model-store");
        try (var s = Files.list(store.resolve("staging"))) {
            assertEquals(0, s.count());
        }
        try (var s = Files.list(store.resolve("bundles"))) {
            assertEquals(2, s.count());
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            ch.write(b.rewind(), at);
        }
    }

    // ------------------------------------------------------------------ threshold

    @Test
    @Order(3)
    void thresholdOverrideDecidesVerdictsIsAuditedAndClears() throws Exception {
        byte[] good = TinyBundle.image("good", 4);
        JsonNode before = JSON.readTree(daemon.inspect(good).body());
        assertEquals("OK", before.path("verdict").asText());
        assertEquals("bundle", before.path("thresholdSource").asText());
        double bundleThreshold = before.path("threshold").asDouble();

        assertRefused(send("PUT", "/api/v1/model/threshold", HttpRequest.BodyPublishers.ofString("{\"value\":-1,\"by\":\"qa\"}"),
                TOKEN, "application/json"), 400, "positive");
        HttpResponse<String> nobody = daemon.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port
                        + "/api/v1/model/threshold")).header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":3}")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(nobody, 400, "who");

        double low = before.path("score").asDouble() / 2; // far below this good part's score: it becomes NG
        HttpResponse<String> set = send("PUT", "/api/v1/model/threshold", HttpRequest.BodyPublishers.ofString(
                "{\"value\":" + low + ",\"by\":\"k.sato\",\"reason\":\"customer complaint on line 3\"}"), TOKEN, "application/json");
        assertEquals(200, set.statusCode(), set.body());
        JsonNode after = JSON.readTree(daemon.inspect(good).body());
        assertEquals("NG", after.path("verdict").asText());
        assertEquals("override", after.path("thresholdSource").asText());
        assertEquals(low, after.path("threshold").asDouble(), 1e-9);
        JsonNode m = JSON.readTree(daemon.get("/api/v1/model").body()).path("active");
        assertEquals("override", m.path("thresholdSource").asText());
        assertEquals("k.sato@127.0.0.1", m.path("override").path("by").asText());
        assertEquals(bundleThreshold, m.path("bundleThreshold").asDouble(), 1e-9);
        JsonNode status = JSON.readTree(daemon.get("/api/v1/status").body());
        assertEquals(low, status.path("model").path("threshold").asDouble(), 1e-9);

        HttpResponse<String> cleared = send("DELETE", "/api/v1/model/threshold", HttpRequest.BodyPublishers.noBody(), TOKEN, null);
        assertEquals(200, cleared.statusCode(), cleared.body());
        JsonNode back = JSON.readTree(daemon.inspect(good).body());
        assertEquals("OK", back.path("verdict").asText());
        assertEquals("bundle", back.path("thresholdSource").asText());

        List<JsonNode> audit = new ArrayList<>();
        JSON.readTree(daemon.get("/api/v1/model/audit").body()).forEach(audit::add);
        JsonNode setEvent = audit.stream().filter(e -> e.path("event").asText().equals("threshold-override")).findFirst().orElse(null);
        assertNotNull(setEvent, audit.toString());
        assertEquals("k.sato@127.0.0.1", setEvent.path("by").asText());
        assertEquals("customer complaint on line 3", setEvent.path("reason").asText());
        assertEquals(bundleThreshold, setEvent.path("from").asDouble(), 1e-9);
        assertEquals(low, setEvent.path("to").asDouble(), 1e-9);
        assertTrue(audit.stream().anyMatch(e -> e.path("event").asText().equals("threshold-cleared")));
        // the bundle on disk is untouched by the override
        assertEquals(activeSha(), JSON.readTree(daemon.get("/api/v1/model").body()).path("active").path("sha256").asText());
    }

    @Test
    @Order(4)
    void refusesToStartWithATokenFileOthersCanReadOrAnEmptyToken() throws Exception {
        Path open = tmp.resolve("open.token");
        Files.writeString(open, TOKEN);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Daemon.start(tmp.resolve("run-open-token"), bundleA, tmp.resolve("journal-open"),
                        "-Dkensa.api.token-file=" + open));
        assertTrue(e.getMessage().contains("readable or writable by every user") && e.getMessage().contains("chmod 600"), e.getMessage());
        Path empty = tmp.resolve("empty.token");
        Files.writeString(empty, "  \n");
        Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("rw-------"));
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Daemon.start(tmp.resolve("run-empty-token"), bundleA, tmp.resolve("journal-empty"),
                        "-Dkensa.api.token-file=" + empty));
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());
    }

    private static void awaitCount(List<Outcome> outcomes, int n) {
        dev.kensa.testing.Wait.until(n + " inspections", java.time.Duration.ofMinutes(4), java.time.Duration.ofMillis(50),
                outcomes::size, size -> size >= n);
    }

}
