package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import dev.kensa.testing.CraftedImages;
import dev.kensa.testing.Wait;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
        Path uploads = tmp.resolve("uploads-http"); // where Quarkus REST writes the files of multipart uploads
        try (Daemon d = Daemon.start(tmp.resolve("run-http"), bundle, journal, "-Xmx512m",
                "-Dkensa.api.max-image-bytes=700000", "-Dkensa.image.decode-budget-bytes=8000000",
                "-Dquarkus.http.body.uploads-directory=" + uploads)) {
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
            multipartRefusals(d, boundary, good, uploads);

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
            for (String refused : List.of("the uploaded file is 700001 bytes", "the request body is 800")) {
                assertTrue(all.stream().anyMatch(e -> new String(e.json(), StandardCharsets.UTF_8).contains(refused)),
                        "the over-limit multipart upload is on the record: " + refused);
            }
        }
    }

    /**
     * Every refusal of a multipart upload, each with its one-line JSON error: no file, a part id field that disagrees
     * with the header, a file over the limit inside a body within it (413, journalled), a body over the limit (413
     * from its Content-Length, journalled), no Content-Length (411: Quarkus REST would write the parts to disk before
     * their size could be checked), a body cut short. An image part without a file name is the file. No temporary
     * file outlives its request, and no refused one keeps its share of the image memory budget.
     */
    static void multipartRefusals(Daemon d, String boundary, byte[] good, Path uploads) throws Exception {
        String type = "multipart/form-data; boundary=" + boundary;
        HttpResponse<String> unnamed = post(d, multipart(boundary, List.of(new Part("image", null, "image/png", good))), type);
        assertEquals(200, unnamed.statusCode(), unnamed.body());

        HttpResponse<String> none = post(d, multipart(boundary, List.of(new Part("partId", null, null, "SN-7101".getBytes()))), type);
        assertEquals(400, none.statusCode(), none.body());
        assertEquals("a multipart upload to /api/v1/inspect needs exactly one file, got 0", JSON.readTree(none.body()).get("error").asText());

        HttpResponse<String> conflict = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect")).header("Content-Type", type)
                .header("X-Part-Id", "SN-7102").POST(HttpRequest.BodyPublishers.ofByteArray(multipart(boundary, List.of(
                        new Part("partId", null, null, "SN-7103".getBytes()), new Part("file", "part.png", "image/png", good)))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, conflict.statusCode(), conflict.body());
        assertEquals("two different part ids given (X-Part-Id, ?partId= or form field partId): 'SN-7102' and 'SN-7103'",
                JSON.readTree(conflict.body()).get("error").asText());
        // each refused request gives its share of the image memory budget back: 20 of them hold 1.75x the 8 MB budget
        byte[] half = multipart(boundary, List.of(new Part("file", "a.png", "image/png", new byte[350_000]),
                new Part("file", "b.png", "image/png", new byte[350_000])));
        for (int i = 0; i < 20; i++) {
            assertEquals(400, post(d, half, type).statusCode());
        }
        assertEquals(200, post(d, multipart(boundary, List.of(new Part("file", "part.png", "image/png", good))), type).statusCode(),
                "the budget is whole again");

        HttpResponse<String> bigFile = post(d, multipart(boundary, List.of(new Part("file", "big.png", "image/png", new byte[700_001]))), type);
        assertEquals(413, bigFile.statusCode(), bigFile.body());
        assertEquals("cannot read http: the uploaded file is 700001 bytes, over the limit of 700000 bytes (kensa.api.max-image-bytes)",
                JSON.readTree(bigFile.body()).get("error").asText());

        byte[] over = multipart(boundary, List.of(new Part("file", "huge.png", "image/png", new byte[800_000])));
        HttpResponse<String> bigBody = post(d, over, type);
        assertEquals(413, bigBody.statusCode(), bigBody.body());
        assertEquals("ERROR", JSON.readTree(bigBody.body()).get("verdict").asText());
        assertEquals("cannot read http: the request body is " + over.length + " bytes, over the limit of 700000 bytes "
                + "(kensa.api.max-image-bytes)", JSON.readTree(bigBody.body()).get("error").asText());

        byte[] fine = multipart(boundary, List.of(new Part("file", "part.png", "image/png", good)));
        HttpResponse<String> chunked = d.http.send(HttpRequest.newBuilder(uri(d, "/api/v1/inspect")).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(fine))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(411, chunked.statusCode(), chunked.body());
        assertTrue(JSON.readTree(chunked.body()).get("error").asText().startsWith(
                "a multipart upload to /api/v1/inspect needs a Content-Length header"), chunked.body());

        byte[] cut = java.util.Arrays.copyOf(fine, fine.length - ("--" + boundary + "--\r\n").length());
        HttpResponse<String> cutShort = post(d, cut, type);
        assertEquals(400, cutShort.statusCode(), cutShort.body());
        assertTrue(JSON.readTree(cutShort.body()).get("error").asText().startsWith("cannot read the request body: "), cutShort.body());

        // Quarkus deletes an upload's file once its request has ended, on a worker thread: wait for it, within a deadline
        Wait.until("no temporary upload file outliving its request", Duration.ofMillis(WAIT_MS), Duration.ofMillis(100),
                () -> {
                    try (var files = java.nio.file.Files.list(uploads)) {
                        return files.toList();
                    }
                }, List::isEmpty);
    }

    static final String DEVICE = "src-box";
    static final String PREFIX = "kensa/" + DEVICE + "/";
    static final long WAIT_MS = 60_000;

    @Test
    void hotFolderAndMqttFileEveryInputAndComeBackAfterTheirWorkersAreKilled() throws Exception {
        assertTrue(Runtime.version().feature() < 20, "the thread-killer agent needs Thread.stop (JDK 17-19), this is "
                + Runtime.version());
        Path hot = java.nio.file.Files.createDirectories(tmp.resolve("hot"));
        Path trigger = tmp.resolve("kill-now");
        String agent = "-javaagent:" + dev.kensa.testing.ThreadKiller.jar(tmp) + "=" + trigger
                + "|kensa-hot-folder,kensa-mqtt-inspect";
        try (dev.kensa.testing.Mosquitto broker = dev.kensa.testing.Mosquitto.launch();
             Daemon d = Daemon.start(tmp.resolve("run-sources"), bundle, tmp.resolve("journal-sources"), agent,
                     "-Dkensa.mqtt.url=" + broker.uri(), "-Dkensa.device-id=" + DEVICE,
                     "-Dkensa.hot-folder.dir=" + hot, "-Dkensa.hot-folder.settle-millis=300",
                     "-Dkensa.api.max-image-bytes=2000000");
             dev.kensa.testing.MqttSubscriber replies = dev.kensa.testing.MqttSubscriber.connect(broker, "mes-replies",
                     false, "mes/replies/#", "mes/replies/", WAIT_MS);
             dev.kensa.testing.MqttSubscriber line = dev.kensa.testing.MqttSubscriber.connect(broker, "line-plc",
                     false, PREFIX + "#", PREFIX, WAIT_MS)) {
            // ---- hot folder: a sparse 3 GB file is filed unread with its size; the real image after it is inspected
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hot.resolve("huge.png").toFile(), "rw")) {
                f.setLength(3L << 30);
            }
            java.nio.file.Files.write(hot.resolve("SN-0042.png"), TinyBundle.image("broken_large", 2));
            awaitFile(hot.resolve("error/huge.png"));
            awaitFile(hot.resolve("ng/SN-0042.png"));
            JsonNode errors = JSON.readTree(d.get("/api/v1/results?verdict=ERROR").body());
            assertEquals("cannot read " + hot.resolve("huge.png") + ": file is 3221225472 bytes, over the limit of "
                    + "2000000 bytes (kensa.api.max-image-bytes)", errors.get(0).get("error").asText());
            JsonNode ngs = JSON.readTree(d.get("/api/v1/results?verdict=NG").body());
            assertEquals("SN-0042", ngs.get(0).get("partId").asText(), "part id from the file name");

            // ---- MQTT: the part id as a user property; an oversize payload gets an ERROR; a huge one never arrives
            awaitStatus(d, s -> s.get("mqtt").get("inspectSubscribed").asBoolean());
            org.eclipse.paho.mqttv5.client.MqttClient requester = new org.eclipse.paho.mqttv5.client.MqttClient(
                    broker.uri(), "mes-requester", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            requester.connect();
            JsonNode r = request(requester, replies, "req-1", "SN-9001", TinyBundle.image("good", 3));
            assertEquals("SN-9001", r.get("partId").asText());
            assertEquals("OK", r.get("verdict").asText());
            assertEquals("SN-9001", JSON.readTree(awaitResult(line, "req-1").getPayload()).get("partId").asText(),
                    "the line's result message names the part");
            JsonNode over = request(requester, replies, "req-2", null, new byte[2_500_000]);
            assertEquals("ERROR", over.get("verdict").asText());
            assertEquals("cannot read mqtt:" + PREFIX + "inspect: payload is 2500000 bytes, over the limit of 2000000 "
                    + "bytes (kensa.api.max-image-bytes)", over.get("error").asText());
            publish(requester, "req-3", null, new byte[5_000_000]); // over the announced packet size: the broker drops it
            JsonNode after = request(requester, replies, "req-4", null, TinyBundle.image("good", 4));
            assertEquals("req-4", after.get("id").asText(), "the next answer is the next image's");

            // ---- kill both source workers (ThreadDeath, from a test agent) for as long as the trigger file exists
            java.nio.file.Files.writeString(trigger, "kill");
            JsonNode down = awaitReady(d, 503, c -> "DOWN".equals(check(c, "hotFolder")) && "DOWN".equals(check(c, "mqttInspect")));
            for (String name : List.of("hotFolder", "mqttInspect")) {
                JsonNode data = checkNode(down, name).get("data");
                assertTrue(data.get("reason").asText().contains("DOWN since") && data.get("lastFailure").asText()
                        .equals("ThreadDeath"), data.toString());
            }
            JsonNode status = awaitStatus(d, s -> s.get("sources").get("hotFolder").get("state").asText().equals("down"));
            assertEquals("degraded", status.get("state").asText());
            assertTrue(status.get("sources").get("hotFolder").get("words").asText().startsWith("hot folder " + hot
                    + ": DOWN since "), status.get("sources").toString());
            JsonNode mqttStatus = awaitMessage(line, "status", m -> m.get("state").asText().equals("degraded")
                    && m.get("sources").get("hotFolder").get("state").asText().equals("down"));
            assertTrue(mqttStatus.get("sources").get("hotFolder").get("words").asText().contains("ThreadDeath"),
                    mqttStatus.toString());
            assertTrue(java.nio.file.Files.readString(Path.of(trigger + ".log")).contains("stopped kensa-hot-folder"));

            // ---- recovery: ready again, and both sources work
            java.nio.file.Files.delete(trigger);
            awaitReady(d, 200, c -> "UP".equals(check(c, "hotFolder")) && "UP".equals(check(c, "mqttInspect")));
            java.nio.file.Files.write(hot.resolve("SN-0043.png"), TinyBundle.image("good", 5));
            awaitFile(hot.resolve("done/SN-0043.png"));
            assertEquals("SN-0044", request(requester, replies, "req-5", "SN-0044", TinyBundle.image("good", 6))
                    .get("partId").asText());
            JsonNode back = awaitStatus(d, s -> s.get("state").asText().equals("online"));
            assertTrue(back.get("sources").get("hotFolder").get("restarts").asInt() >= 1, back.toString());
            awaitMessage(line, "status", m -> m.get("state").asText().equals("online"));
            requester.disconnect();
            requester.close();
        }
    }

    static void awaitFile(Path f) {
        Wait.until(f + " appearing", Duration.ofMillis(WAIT_MS), Duration.ofMillis(100), () -> java.nio.file.Files.exists(f),
                exists -> exists);
    }

    static JsonNode awaitStatus(Daemon d, java.util.function.Predicate<JsonNode> p) {
        return Wait.until("the status matching", Duration.ofMillis(WAIT_MS), Duration.ofMillis(50),
                () -> JSON.readTree(d.get("/api/v1/status").body()), p);
    }

    static JsonNode awaitReady(Daemon d, int code, java.util.function.Predicate<JsonNode> checks) {
        HttpResponse<String> r = Wait.until("readiness " + code + " as expected", Duration.ofMillis(WAIT_MS),
                Duration.ofMillis(20), () -> d.get("/q/health/ready"),
                ready -> ready.statusCode() == code && checks.test(readTree(ready.body())));
        return readTree(r.body());
    }

    static JsonNode readTree(String body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode checkNode(JsonNode health, String name) {
        for (JsonNode c : health.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    static String check(JsonNode health, String name) {
        return checkNode(health, name).get("status").asText();
    }

    static JsonNode awaitMessage(dev.kensa.testing.MqttSubscriber sub, String leaf,
                                 java.util.function.Predicate<JsonNode> p) {
        // each poll takes what arrived (or waits up to 500 ms): earlier messages on the leaf are passed over
        org.eclipse.paho.mqttv5.common.MqttMessage m = Wait.until("a matching message on " + leaf,
                Duration.ofMillis(WAIT_MS), Duration.ofMillis(1), () -> sub.poll(leaf, 500),
                x -> x != null && p.test(readTree(new String(x.getPayload(), StandardCharsets.UTF_8))));
        return readTree(new String(m.getPayload(), StandardCharsets.UTF_8));
    }

    static org.eclipse.paho.mqttv5.common.MqttMessage awaitResult(dev.kensa.testing.MqttSubscriber line, String id) {
        return Wait.until("the result " + id, Duration.ofMillis(WAIT_MS), Duration.ofMillis(1), () -> line.poll("result", 500),
                m -> m != null && id.equals(dev.kensa.testing.MqttSubscriber.userProperty(m, "id")));
    }

    static void publish(org.eclipse.paho.mqttv5.client.MqttClient requester, String id, String partId, byte[] payload)
            throws Exception {
        org.eclipse.paho.mqttv5.common.packet.MqttProperties p = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
        p.setResponseTopic("mes/replies/station-1");
        List<org.eclipse.paho.mqttv5.common.packet.UserProperty> props = new ArrayList<>();
        props.add(new org.eclipse.paho.mqttv5.common.packet.UserProperty("id", id));
        if (partId != null) {
            props.add(new org.eclipse.paho.mqttv5.common.packet.UserProperty("partId", partId));
        }
        p.setUserProperties(props);
        requester.publish(PREFIX + "inspect", new org.eclipse.paho.mqttv5.common.MqttMessage(payload, 1, false, p));
    }

    static JsonNode request(org.eclipse.paho.mqttv5.client.MqttClient requester, dev.kensa.testing.MqttSubscriber replies,
                            String id, String partId, byte[] payload) throws Exception {
        publish(requester, id, partId, payload);
        JsonNode r = JSON.readTree(replies.next("station-1").getPayload());
        assertEquals(id, r.get("id").asText(), r.toString());
        return r;
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
