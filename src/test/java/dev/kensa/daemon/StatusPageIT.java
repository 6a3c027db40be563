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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The status page at {@code GET /} (DESIGN §7) in a real headless browser against the packaged daemon: it must show
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

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void statusPageShowsModelAndLatestNgVerdict() throws Exception {
        try (Daemon d = Daemon.start(tmp.resolve("run"), bundle, tmp.resolve("journal"))) {
            // with the part's id, as a line sends it: the feed names the part, not the sender
            HttpResponse<String> ng = d.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://127.0.0.1:" + d.port + "/api/v1/inspect")).header("Content-Type", "image/png")
                    .header("X-Part-Id", "SN-0815").POST(java.net.http.HttpRequest.BodyPublishers.ofFile(
                            TestData.bottle().resolve("test/broken_large/000.png"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ng.statusCode(), ng.body());
            JsonNode r = JSON.readTree(ng.body());
            assertEquals("NG", r.get("verdict").asText(), ng.body());
            String resultId = r.get("id").asText();
            String modelId = JSON.readTree(d.get("/api/v1/status").body()).get("model").get("id").asText();
            assertEquals(r.get("model").get("id").asText(), modelId);

            HttpResponse<String> page = d.get("/");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("id=\"model-id\""), "GET / serves the status page");

            String url = "http://127.0.0.1:" + d.port + "/";
            String dom = chromium(tmp.resolve("dom"), "--dump-dom", url);
            String where = "\n--- dumped DOM (head) ---\n" + dom.substring(0, Math.min(dom.length(), 4000));

            assertEquals(modelId, textOf(dom, "model-id"), "model id shown in #model-id" + where);
            assertEquals("online", textOf(dom, "state"), "#state" + where);
            assertEquals("1", textOf(dom, "count-ng"), "#count-ng" + where);
            assertEquals("0", textOf(dom, "count-error"), "#count-error" + where);

            List<String> items = new ArrayList<>();
            Matcher li = Pattern.compile("<li\\b[^>]*>").matcher(dom);
            while (li.find()) {
                String tag = li.group();
                if (Pattern.compile("\\bclass=\"[^\"]*\\bresult\\b").matcher(tag).find()) {
                    items.add(tag);
                }
            }
            assertTrue(items.stream().anyMatch(t -> t.contains("data-id=\"" + resultId + "\"")
                            && t.contains("data-verdict=\"NG\"")),
                    "feed item li.result[data-id=" + resultId + "][data-verdict=NG] in " + items + where);
            assertTrue(dom.contains("api/v1/results/" + resultId + "/heatmap.jpg"), "heatmap thumbnail" + where);
            assertTrue(dom.contains(">part SN-0815<"), "the live feed names the part" + where);

            Path shot = tmp.resolve("status-page.png");
            chromium(tmp.resolve("shot"), "--screenshot=" + shot, url);
            assertTrue(Files.exists(shot), "screenshot written: " + shot);
            long size = Files.size(shot);
            assertTrue(size > 10_000, "screenshot is a real page, not a blank one: " + size + " bytes");
        }
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
