package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import dev.kensa.testing.CraftedImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs arriving at the packaged daemon over real HTTP: image bombs under a small heap, the image memory budget,
 * the Content-Types people and gateways send, every HTTP error with a body, the byte limit, truncated JPEGs, and
 * the part id carried into the result, the NG archive, the CSV and the journal.
 */
class SourcesIT {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    static Path bundle;

    @BeforeAll
    static void fit() throws Exception {
        bundle = TinyBundle.fit(tmp);
    }

    @Test
    void httpInputsAreBoundedTypedAndNamed() throws Exception {
        Path journal = tmp.resolve("journal-http");
        byte[] ng = TinyBundle.image("broken_large", 0);
        byte[] good = TinyBundle.image("good", 1);
        List<String> journalledIds = new ArrayList<>();
        try (Daemon d = Daemon.start(tmp.resolve("run-http"), bundle, journal, "-Xmx512m",
                "-Dkensa.api.max-image-bytes=700000", "-Dkensa.image.decode-budget-bytes=8000000")) {
            // ---- image bombs: refused from the header, in one message, memory untouched, the box stays ready
            List<byte[]> bombs = List.of(CraftedImages.png(20000, 20000), CraftedImages.png(60000, 60000),
                    CraftedImages.jpeg(20000, 20000), CraftedImages.jpeg(60000, 60000));
            assertEquals(422, post(d, bombs.get(0), "image/png").statusCode()); // warm the path before measuring
            long before = d.rssBytes();
            List<HttpResponse<String>> answers = concurrently(d, 8, i -> bombs.get(i % 4), "application/octet-stream");
            long grown = d.rssBytes() - before;
            for (int i = 0; i < answers.size(); i++) {
                HttpResponse<String> r = answers.get(i);
                assertEquals(422, r.statusCode(), r.body());
                JsonNode e = JSON.readTree(r.body());
                assertEquals("ERROR", e.get("verdict").asText());
                int side = i % 2 == 0 ? 20000 : 60000;
                assertEquals("image is " + side + "x" + side + ", over the limit of 40000000 pixels (kensa.image.max-pixels)",
                        e.get("error").asText());
                journalledIds.add(e.get("id").asText());
            }
            assertTrue(grown < 50L << 20, "daemon resident memory grew by " + (grown >> 20) + " MB");
            assertEquals(200, d.get("/q/health/ready").statusCode());
            HttpResponse<String> real = post(d, good, "image/png");
            assertEquals(200, real.statusCode(), real.body());

            // ---- the image memory budget: 8 MB holds two 900x900 PNGs (0.5 MB + 2.4 MB decoded); more wait outside
            List<HttpResponse<String>> burst = concurrently(d, 8, i -> good, "image/png");
            List<Integer> codes = burst.stream().map(HttpResponse::statusCode).toList();
            assertTrue(codes.contains(200) && codes.contains(503), codes.toString());
            for (HttpResponse<String> r : burst) {
                if (r.statusCode() == 503) {
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                    assertTrue(r.body().contains("kensa.image.decode-budget-bytes"), r.body());
                }
            }

            // ---- what people and gateways send: curl --data-binary (form-urlencoded), no Content-Type, multipart
            assertEquals(200, post(d, good, "application/x-www-form-urlencoded").statusCode());
            HttpResponse<String> bare = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(good)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, bare.statusCode(), bare.body());
            String boundary = "----kensa-test-boundary";
            HttpResponse<String> upload = post(d, multipart(boundary, List.of(
                    new Part("partId", null, null, "SN-7001".getBytes()),
                    new Part("file", "part.png", "image/png", ng))), "multipart/form-data; boundary=" + boundary);
            assertEquals(200, upload.statusCode(), upload.body());
            JsonNode up = JSON.readTree(upload.body());
            assertEquals("NG", up.get("verdict").asText());
            assertEquals("SN-7001", up.get("partId").asText());
            HttpResponse<String> two = post(d, multipart(boundary, List.of(new Part("a", "a.png", "image/png", new byte[9]),
                    new Part("b", "b.png", "image/png", new byte[9]))), "multipart/form-data; boundary=" + boundary);
            assertEquals(400, two.statusCode());
            assertEquals("a multipart upload to /api/v1/inspect needs exactly one file, got 2",
                    JSON.readTree(two.body()).get("error").asText());

            // ---- every HTTP error has a JSON body saying what is expected
            HttpResponse<String> json = post(d, "{}".getBytes(), "application/json");
            assertEquals(415, json.statusCode());
            assertEquals("application/json", json.headers().firstValue("Content-Type").orElse("").split(";")[0]);
            assertTrue(JSON.readTree(json.body()).get("error").asText().startsWith(
                    "Content-Type application/json is not accepted by POST /api/v1/inspect; send the image as the body"),
                    json.body());
            HttpResponse<String> threshold = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/model/threshold"))
                    .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("18.5")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(415, threshold.statusCode(), threshold.body());
            assertTrue(JSON.readTree(threshold.body()).get("error").asText().contains("send Content-Type application/json"),
                    threshold.body());
            HttpResponse<String> model = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/model"))
                    .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(415, model.statusCode(), model.body());
            assertTrue(JSON.readTree(model.body()).get("error").asText().contains("application/zip"), model.body());

            // ---- the byte limit: refused from Content-Length, unread, and journalled as an ERROR
            HttpResponse<String> big = post(d, new byte[1_000_000], "application/octet-stream");
            assertEquals(413, big.statusCode(), big.body());
            JsonNode bigResult = JSON.readTree(big.body());
            assertEquals("ERROR", bigResult.get("verdict").asText());
            assertEquals("cannot read http: the request body is 1000000 bytes, over the limit of 700000 bytes "
                    + "(kensa.api.max-image-bytes)", bigResult.get("error").asText());

            // ---- a JPEG cut in half with its end marker appended is refused, not scored
            byte[] jpg = CraftedImages.reencode(ng, ".jpg");
            assertEquals(200, post(d, jpg, "image/jpeg").statusCode(), "the whole JPEG is inspected");
            byte[] half = java.util.Arrays.copyOf(jpg, jpg.length / 2 + 2);
            half[half.length - 2] = (byte) 0xff;
            half[half.length - 1] = (byte) 0xd9;
            HttpResponse<String> cut = post(d, half, "image/jpeg");
            assertEquals(422, cut.statusCode(), cut.body());
            assertTrue(JSON.readTree(cut.body()).get("error").asText().startsWith("truncated JPEG"), cut.body());

            // ---- the part id: header or query parameter, into the result, the NG archive and the CSV
            HttpResponse<String> byHeader = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect"))
                    .header("Content-Type", "image/png").header("X-Part-Id", "SN-7002")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(ng)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("SN-7002", JSON.readTree(byHeader.body()).get("partId").asText());
            HttpResponse<String> byQuery = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect?partId=SN-7003"))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(good)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode q = JSON.readTree(byQuery.body());
            assertEquals("SN-7003", q.get("partId").asText());
            assertEquals("http", q.get("source").asText());
            HttpResponse<String> conflict = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect?partId=A"))
                    .header("Content-Type", "image/png").header("X-Part-Id", "B")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(good)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, conflict.statusCode(), conflict.body());
            JsonNode ngList = JSON.readTree(d.get("/api/v1/results?verdict=NG&limit=5").body());
            assertEquals("SN-7002", ngList.get(0).get("partId").asText(), "read back from the NG archive");
            HttpResponse<String> csv = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/results?limit=3"))
                    .header("Accept", "text/csv").GET().build(), HttpResponse.BodyHandlers.ofString());
            List<String> rows = csv.body().lines().toList();
            assertTrue(rows.get(0).endsWith(",error,partId"), rows.get(0));
            assertTrue(rows.get(1).endsWith(",SN-7003") && rows.get(2).endsWith(",SN-7002"), csv.body());
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            List<JournalEntry> all = j.read(1, 1000);
            assertTrue(all.stream().map(JournalEntry::id).toList().containsAll(journalledIds), "bombs journalled");
            JsonNode last = JSON.readTree(all.get(all.size() - 1).json());
            assertEquals("SN-7003", last.get("partId").asText(), "the journal holds the part id");
            assertTrue(all.stream().anyMatch(e -> new String(e.json(), StandardCharsets.UTF_8)
                    .contains("the request body is 1000000 bytes")), "the over-limit upload is on the record");
        }
    }

    static URI uri(Daemon d, String path) {
        return URI.create("http://127.0.0.1:" + d.port + path);
    }

    static HttpResponse<String> post(Daemon d, byte[] body, String contentType) throws Exception {
        return d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** n requests sent at the same moment; their answers in request order. */
    static List<HttpResponse<String>> concurrently(Daemon d, int n, java.util.function.IntFunction<byte[]> body,
                                                   String contentType) throws Exception {
        List<HttpResponse<String>> out = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(n, null)));
        CyclicBarrier together = new CyclicBarrier(n);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                try {
                    together.await(10, TimeUnit.SECONDS);
                    out.set(k, post(d, body.apply(k), contentType));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        assertFalse(out.contains(null), "every request answered");
        return out;
    }

    record Part(String name, String filename, String type, byte[] bytes) {
    }

    static byte[] multipart(String boundary, List<Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name() + "\""
                    + (p.filename() != null ? "; filename=\"" + p.filename() + "\"" : "") + "\r\n"
                    + (p.type() != null ? "Content-Type: " + p.type() + "\r\n" : "") + "\r\n").getBytes());
            out.writeBytes(p.bytes());
            out.writeBytes("\r\n".getBytes());
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes());
        return out.toByteArray();
    }
}
