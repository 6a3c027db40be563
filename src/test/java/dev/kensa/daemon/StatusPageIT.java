package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.TestData;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The status page at {@code GET /} (../shared/DESIGN.md §7) in a real headless browser against the packaged daemon: it must show
 * the loaded model and, in its live feed, the NG result just inspected. Needs Debian's {@code chromium} package
 * ({@code /usr/bin/chromium}); without it the test is skipped locally and fails when CI=true.
 */
class StatusPageIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final long BROWSER_TIMEOUT_S = 90;

    @TempDir
    static Path tmp;
    static Path bundle;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void fit() throws Exception {
        requireChromium();
        bundle = TinyBundle.fit(tmp);
    }

    static void requireChromium() {
        if (!Files.isExecutable(CHROMIUM)) {
            String msg = "headless browser not found: " + CHROMIUM + " (apt-get install chromium)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
    }

    /**
     * The page after a power cut: results inspected before it are still in the feed and the results list (from the
     * journal), the counters say they count since the restart, and the configuration in force is shown.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void statusPageShowsModelLatestNgVerdictAndConfigurationAcrossARestart() throws Exception {
        Path run = tmp.resolve("run");
        Path journal = tmp.resolve("journal");
        String ngId;
        String okId;
        String errorId;
        Daemon first = Daemon.start(run, bundle, journal);
        try {
            // with the part's id, as a line sends it: the feed names the part, not the sender
            HttpResponse<String> ng = first.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://127.0.0.1:" + first.port + "/api/v1/inspect")).header("Content-Type", "image/png")
                    .header("X-Part-Id", "SN-0815").POST(java.net.http.HttpRequest.BodyPublishers.ofFile(
                            TestData.bottle().resolve("test/broken_large/000.png"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ng.statusCode(), ng.body());
            assertEquals("NG", JSON.readTree(ng.body()).get("verdict").asText(), ng.body());
            ngId = JSON.readTree(ng.body()).get("id").asText();
            okId = inspect(first, Files.readAllBytes(TestData.bottle().resolve("test/good/000.png")), "OK");
            errorId = inspect(first, "not an image".getBytes(), "ERROR");
            assertEquals(1, JSON.readTree(first.get("/api/v1/status").body()).get("counters").get("NG").asInt());
        } finally {
            first.kill(); // a power cut: no shutdown, nothing flushed but what was forced
        }

        try (Daemon d = Daemon.start(run, bundle, journal, "-Dkensa.mqtt.password=s3cret-hunter2")) {
            // the results list comes from the journal: the morning's results survive the restart
            List<String> ids = new ArrayList<>();
            JSON.readTree(d.get("/api/v1/results?limit=10").body()).forEach(n -> ids.add(n.get("id").asText()));
            assertEquals(List.of(errorId, okId, ngId), ids, "newest first, all verdicts");
            JsonNode oks = JSON.readTree(d.get("/api/v1/results?verdict=OK").body());
            assertEquals(1, oks.size());
            assertEquals(okId, oks.get(0).get("id").asText());
            HttpResponse<String> csv = d.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + d.port + "/api/v1/results?verdict=NG")).header("Accept", "text/csv").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            List<String> rows = csv.body().lines().toList();
            assertEquals(2, rows.size(), csv.body());
            assertTrue(rows.get(1).startsWith(ngId + ","), csv.body());
            HttpResponse<byte[]> okHeatmap = d.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + d.port + "/api/v1/results/" + okId + "/heatmap.jpg")).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, okHeatmap.statusCode(), "an OK result's heatmap from before the restart, from the journal");
            assertEquals((byte) 0xFF, okHeatmap.body()[0]);

            JsonNode status = JSON.readTree(d.get("/api/v1/status").body());
            JsonNode counters = status.get("counters");
            assertEquals(0, counters.get("NG").asInt(), "counters start with the process...");
            java.time.Instant since = java.time.Instant.parse(counters.get("since").asText());
            java.time.Instant ngTs = java.time.Instant.parse(JSON.readTree(d.get("/api/v1/results?verdict=NG").body()).get(0).get("ts").asText());
            assertTrue(since.isAfter(ngTs), "... and say so: since " + since + ", the NG was at " + ngTs);

            String configBody = d.get("/api/v1/config").body();
            assertFalse(configBody.contains("s3cret-hunter2"), "no secret in the configuration: " + configBody);
            JsonNode config = JSON.readTree(configBody);
            assertEquals("(set)", config.get("settings").get("kensa.mqtt.password").get("value").asText());
            assertEquals(8, config.get("batchSize").asInt(), config.toString());
            assertEquals(64, config.get("queueCapacity").asInt());
            assertEquals("off", config.get("api").get("token").asText());
            assertEquals("false", config.get("settings").get("kensa.mqtt.embedded").get("value").asText());
            assertEquals("system properties (-D)", config.get("settings").get("kensa.mqtt.embedded").get("source").asText());
            assertEquals("system properties (-D)", config.get("sources").get(0).get("name").asText(), "highest precedence first");

            String modelId = status.get("model").get("id").asText();
            String url = "http://127.0.0.1:" + d.port + "/";
            HttpResponse<String> page = d.get("/");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("id=\"model-id\""), "GET / serves the status page");
            String dom = chromium(tmp.resolve("dom"), "--dump-dom", url);
            String where = "\n--- dumped DOM (head) ---\n" + dom.substring(0, Math.min(dom.length(), 4000));

            assertEquals(modelId, textOf(dom, "model-id"), "model id shown in #model-id" + where);
            assertEquals("online", textOf(dom, "state"), "#state" + where);
            assertEquals("0", textOf(dom, "count-ng"), "#count-ng" + where);
            assertTrue(textOf(dom, "counters-since").startsWith("Counted since "), "#counters-since" + where);
            assertEquals("no GPU (CPU backend)", textOf(dom, "sys-gpu"), "#sys-gpu" + where);
            assertEquals("8", configOf(dom, "batch"), where);
            assertEquals("64 images", configOf(dom, "queue"), where);
            assertTrue(configOf(dom, "token").startsWith("off"), where);
            assertEquals("off (no broker)", configOf(dom, "mqtt"), where);
            assertTrue(configOf(dom, "sources").startsWith("system properties (-D)"), where);

            List<String> items = new ArrayList<>();
            Matcher li = Pattern.compile("<li\\b[^>]*>").matcher(dom);
            while (li.find()) {
                String tag = li.group();
                if (Pattern.compile("\\bclass=\"[^\"]*\\bresult\\b").matcher(tag).find()) {
                    items.add(tag);
                }
            }
            assertTrue(items.stream().anyMatch(t -> t.contains("data-id=\"" + ngId + "\"") && t.contains("data-verdict=\"NG\"")),
                    "the NG from before the restart in the feed: li.result[data-id=" + ngId + "][data-verdict=NG] in " + items + where);
            assertEquals(3, items.size(), items.toString());
            assertTrue(dom.contains("api/v1/results/" + ngId + "/heatmap.jpg"), "heatmap thumbnail" + where);
            assertTrue(dom.contains(">part SN-0815<"), "the live feed names the part" + where);

            Path shot = tmp.resolve("status-page.png");
            chromium(tmp.resolve("shot"), "--screenshot=" + shot, url);
            assertTrue(Files.exists(shot), "screenshot written: " + shot);
            long size = Files.size(shot);
            assertTrue(size > 10_000, "screenshot is a real page, not a blank one: " + size + " bytes");
        }
    }

    static String inspect(Daemon d, byte[] image, String verdict) throws Exception {
        HttpResponse<String> r = d.inspect(image);
        JsonNode j = JSON.readTree(r.body());
        assertEquals(verdict, j.get("verdict").asText(), r.body());
        return j.get("id").asText();
    }

    /** The text of the configuration card's {@code dd[data-key=key]}. */
    static String configOf(String dom, String key) {
        Matcher m = Pattern.compile("<dd\\b[^>]*\\bdata-key=\"" + Pattern.quote(key) + "\"[^>]*>([^<]*)<").matcher(dom);
        return m.find() ? m.group(1).trim() : null;
    }

    /** Runs headless chromium once (bounded) and returns its stdout. */
    static String chromium(Path work, String action, String url) throws Exception {
        Files.createDirectories(work);
        Path out = work.resolve("stdout.txt");
        Path err = work.resolve("stderr.txt");
        List<String> cmd = List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectories(work.resolve("profile")),
                "--window-size=1280,900", "--virtual-time-budget=5000", action, url);
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(BROWSER_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            fail("chromium " + action + " did not finish in " + BROWSER_TIMEOUT_S + " s:\n" + tail(err));
        }
        if (p.exitValue() != 0) {
            Assertions.fail("chromium " + action + " exited with " + p.exitValue() + ":\n" + tail(err));
        }
        return Files.readString(out);
    }

    /** The text of the element with this id, whitespace-trimmed; null when there is no such element. */
    static String textOf(String dom, String id) {
        Matcher m = Pattern.compile("<(\\w+)\\b[^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>([^<]*)<").matcher(dom);
        return m.find() ? m.group(2).trim() : null;
    }

    static String tail(Path f) throws Exception {
        String s = Files.exists(f) ? Files.readString(f) : "";
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}
