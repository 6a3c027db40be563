package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.testing.Mosquitto;
import dev.kensa.testing.MqttSubscriber;
import dev.kensa.testing.Wait;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged daemon publishing to a real Mosquitto process: the ../shared/DESIGN.md §6 messages, and a broker outage during
 * which 50 inspections queue on disk and then all arrive, in order.
 */
class ServeMqttIT {
    static final String DEVICE = "it-box";
    static final String PREFIX = "kensa/" + DEVICE + "/";
    static final long WAIT_MS = 30_000;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    static Path bundle;

    @BeforeAll
    static void fit() throws Exception {
        bundle = TinyBundle.fit(tmp);
    }

    static byte[] image(String type, int i) throws Exception {
        return TinyBundle.image(type, i);
    }

    @Test
    void publishesStatusResultHeatmapAndModelEventThenSurvivesABrokerOutage() throws Exception {
        Path hot = Files.createDirectories(tmp.resolve("hot"));
        try (Mosquitto broker = Mosquitto.launch(true);
             MqttSubscriber sub = MqttSubscriber.connect(broker, "line-plc", true, PREFIX + "#", PREFIX, WAIT_MS);
             Daemon d = Daemon.start(tmp.resolve("run"), bundle, tmp.resolve("journal"),
                     "-Dkensa.mqtt.url=" + broker.uri(), "-Dkensa.device-id=" + DEVICE,
                     "-Dkensa.hot-folder.dir=" + hot, "-Dkensa.hot-folder.settle-millis=300")) {
            JsonNode status = JSON.readTree(sub.next("status").getPayload());
            assertEquals("online", status.get("state").asText());
            assertEquals(DEVICE, status.get("deviceId").asText());
            assertTrue(status.get("model").get("sha256").asText().length() == 64, status.toString());
            assertTrue(status.has("backend") && status.has("version") && status.has("uptimeS"));
            assertEquals("no GPU (CPU backend)", status.get("gpu").asText(), "a CPU box in words: " + status);
            JsonNode event = JSON.readTree(sub.next("model/event").getPayload());
            assertEquals("load", event.get("event").asText());
            // both configured sources have their readiness check
            JsonNode ready = JSON.readTree(d.get("/q/health/ready").body());
            assertEquals("UP", SourcesIT.check(ready, "hotFolder"), ready.toString());
            assertEquals("UP", SourcesIT.check(ready, "mqttInspect"), ready.toString());

            HttpResponse<String> r = d.inspect(image("broken_large", 1));
            String id = JSON.readTree(r.body()).get("id").asText();
            MqttMessage result = sub.next("result");
            assertEquals(r.body(), new String(result.getPayload(), StandardCharsets.UTF_8), "the published result is the answered one");
            assertEquals(id, MqttSubscriber.userProperty(result, "id"));
            MqttMessage heatmap = sub.next("heatmap");
            assertEquals("image/jpeg", heatmap.getProperties().getContentType());
            assertArrayEquals(id.getBytes(StandardCharsets.UTF_8), heatmap.getProperties().getCorrelationData());
            assertEquals((byte) 0xFF, heatmap.getPayload()[0]);

            // the hot folder source reaches the line the same way
            Files.write(hot.resolve("cam-7.png.part"), image("broken_small", 5));
            Files.move(hot.resolve("cam-7.png.part"), hot.resolve("cam-7.png"));
            JsonNode fromHot = JSON.readTree(sub.next("result").getPayload());
            assertEquals(hot.resolve("cam-7.png").toString(), fromHot.get("source").asText());
            assertTrue(sub.next("heatmap").getPayload().length > 1000);
            assertEquals("UP", JSON.readTree(d.get("/q/health/well").body()).get("status").asText());

            // outage: the line keeps inspecting; results wait in the journal
            broker.stop();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> x = d.inspect(image(i % 3 == 0 ? "broken_small" : "good", i % 19));
                ids.add(JSON.readTree(x.body()).get("id").asText());
            }
            HttpResponse<String> well = d.get("/q/health/well");
            assertEquals(503, well.statusCode(), "broker DOWN shows in wellness: " + well.body());
            assertTrue(well.body().contains("\"backlog\""), well.body());
            assertEquals(200, d.get("/q/health/ready").statusCode(), "still ready: results queue on disk");
            broker.start();
            assertTrue(sub.reconnect(), "the subscriber's persistent session survived the broker restart");
            List<String> arrived = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                arrived.add(MqttSubscriber.userProperty(sub.next("result"), "id"));
            }
            assertEquals(ids, arrived, "all 50 results after the outage, in order, none missing or duplicated");
        }
    }

    @Test
    void modelEventsAndStatusFollowSwapRefusalAndRollback() throws Exception {
        Path b = TinyBundle.fit(tmp, "swap-b", 12);
        Path zip = tmp.resolve("swap-b.zip");
        dev.kensa.bundle.BundleWriter.zip(b, zip);
        String shaA = ModelLifecycleIT.sha(bundle);
        String shaB = ModelLifecycleIT.sha(b);
        Path token = tmp.resolve("mqtt-token");
        Files.writeString(token, "token-for-the-mqtt-event-test");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (Mosquitto broker = Mosquitto.launch(true);
             MqttSubscriber sub = MqttSubscriber.connect(broker, "mes-events", false, PREFIX + "#", PREFIX, WAIT_MS);
             Daemon d = Daemon.start(tmp.resolve("run-events"), bundle, tmp.resolve("journal-events"),
                     "-Dkensa.mqtt.url=" + broker.uri(), "-Dkensa.device-id=" + DEVICE, "-Dkensa.api.token-file=" + token,
                     "-Dkensa.mqtt.inspect=false")) {
            byte[] load = sub.next("model/event").getPayload();
            assertEquals("load", JSON.readTree(load).get("event").asText());
            pin("model/event load", load);
            byte[] status = sub.next("status").getPayload();
            assertEquals(shaA, JSON.readTree(status).at("/model/sha256").asText());
            pin("status", status);
            pin("GET /api/v1/status", d.get("/api/v1/status").body().getBytes(StandardCharsets.UTF_8));
            String checks = d.get("/q/health/ready").body();
            assertFalse(checks.contains("\"mqttInspect\"") || checks.contains("\"hotFolder\""),
                    "no readiness check for a source that is not configured (inspect off, no hot folder): " + checks);
            java.util.function.Function<java.net.http.HttpRequest.Builder, HttpResponse<String>> call = rb -> {
                try {
                    return d.http.send(rb.header("Authorization", "Bearer token-for-the-mqtt-event-test")
                            .header("X-Kensa-User", "mes").build(), HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            String base = "http://127.0.0.1:" + d.port + "/api/v1/model";
            HttpResponse<String> swapped = call.apply(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base))
                    .header("Content-Type", "application/zip").PUT(java.net.http.HttpRequest.BodyPublishers.ofFile(zip)));
            assertEquals(200, swapped.statusCode(), swapped.body());
            byte[] swapBytes = sub.next("model/event").getPayload();
            pin("model/event swap", swapBytes);
            JsonNode swap = JSON.readTree(swapBytes);
            assertEquals("swap", swap.get("event").asText());
            assertEquals(shaB, swap.at("/model/sha256").asText());
            assertEquals(shaA, swap.at("/previous/sha256").asText());
            assertTrue(swap.get("by").asText().startsWith("mes@"), swap.toString());
            assertTrue(statusNames(sub, shaB), "the retained status names the new model after the swap");

            byte[] whole = Files.readAllBytes(zip);
            HttpResponse<String> refused = call.apply(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base))
                    .header("Content-Type", "application/zip")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(java.util.Arrays.copyOf(whole, 1000))));
            assertEquals(422, refused.statusCode(), refused.body());
            byte[] refusalBytes = sub.next("model/event").getPayload();
            pin("model/event refusal", refusalBytes);
            JsonNode refusal = JSON.readTree(refusalBytes);
            assertEquals("refusal", refusal.get("event").asText());
            assertEquals(JSON.readTree(refused.body()).get("error").asText(), refusal.get("reason").asText());
            assertEquals(shaB, refusal.at("/active/sha256").asText());
            pin("GET /api/v1/model", d.get("/api/v1/model").body().getBytes(StandardCharsets.UTF_8));

            HttpResponse<String> set = call.apply(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/threshold"))
                    .header("Content-Type", "application/json")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"value\": 1e6, \"reason\": \"contract\"}")));
            assertEquals(200, set.statusCode(), set.body());
            pin("model/event threshold-override", sub.next("model/event").getPayload());
            HttpResponse<String> cleared = call.apply(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/threshold"))
                    .DELETE());
            assertEquals(200, cleared.statusCode(), cleared.body());
            pin("model/event threshold-cleared", sub.next("model/event").getPayload());

            HttpResponse<String> back = call.apply(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/rollback"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, back.statusCode(), back.body());
            byte[] rollbackBytes = sub.next("model/event").getPayload();
            pin("model/event rollback", rollbackBytes);
            JsonNode rollback = JSON.readTree(rollbackBytes);
            assertEquals("rollback", rollback.get("event").asText());
            assertEquals(shaA, rollback.at("/model/sha256").asText());
            JsonNode result = JSON.readTree(d.inspect(image("good", 2)).body());
            assertEquals(shaA, result.at("/model/sha256").asText());
            assertEquals(result.get("id").asText(), JSON.readTree(sub.next("result").getPayload()).get("id").asText());
            d.inspect(image("broken_large", 1));
            pin("result", sub.next("result").getPayload());
        }
    }

    /**
     * The wire contract (../shared/DESIGN.md §6, §7; issue 14 item 3): the field names and their order of each message as the
     * daemon sent them before the payloads became records. A renamed, dropped, added or reordered field fails here.
     * (The status's queue, journal and ngArchive objects were Map.of, in a random order per process; they are pinned
     * in the order the code listed them.)
     */
    static final java.util.Map<String, String> CONTRACT = java.util.Map.ofEntries(
            java.util.Map.entry("model/event load",
                    "{ts,event,model{id,name,sha256,method},threshold,thresholdSource,loadSeconds,backend}"),
            java.util.Map.entry("status",
                    "{state,deviceId,version,backend,gpu,model{id,name,sha256,method},uptimeS,sources{},drift{state,statistic,window,capacity,since,medianRatio,reason}}"),
            java.util.Map.entry("GET /api/v1/status",
                    "{state,deviceId,version,uptimeS,backend,route,gpu,gpuDetail,model{id,name,sha256,method,created,threshold,thresholdSource,bundleThreshold,calibration,loadedAt,loadSeconds,selfTestPassed},imageQuality{limits,learned,enabled[],disabled[],ranges{brightness[],contrast[],focus[],width[],height[],aspect[]}},queue{waiting,capacity},counters{OK,NG,ERROR,since},journal{lastSeq,publishedSeq,backlog},ngArchive{count,bytes},mqtt{configured,connected,url,embedded,inspectSubscribed,inspectHandled},hotFolder,sources{},drift{state,statistic,window,capacity,since,medianRatio,reason}}"),
            java.util.Map.entry("model/event swap",
                    "{ts,event,model{id,name,sha256,method},previous{id,name,sha256,method},by,threshold,thresholdSource,loadSeconds,backend}"),
            java.util.Map.entry("model/event refusal",
                    "{ts,event,request,reason,by,active{id,name,sha256,method}}"),
            java.util.Map.entry("GET /api/v1/model",
                    "{active{id,name,sha256,method,model,created,threshold,thresholdSource,bundleThreshold,calibration,override,backend,loadedAt,loadSeconds,selfTest{passed,checks[{file,expected,actual,tolerance,passed}]},imageQuality{limits,learned,enabled[],disabled[],ranges{brightness[],contrast[],focus[],width[],height[],aspect[]}}},previous{id,name,sha256,method,created,threshold,thresholdSource,bundleThreshold,calibration,override},swaps,refusals,lastRefusal{ts,event,request,reason,by,active{id,name,sha256,method}}}"),
            java.util.Map.entry("model/event threshold-override",
                    "{ts,event,by,model{id,name,sha256,method},bundleThreshold,from,to,reason}"),
            java.util.Map.entry("model/event threshold-cleared",
                    "{ts,event,by,model{id,name,sha256,method},bundleThreshold,from,to}"),
            java.util.Map.entry("model/event rollback",
                    "{ts,event,model{id,name,sha256,method},previous{id,name,sha256,method},by,threshold,thresholdSource,loadSeconds,backend}"),
            java.util.Map.entry("result",
                    "{id,ts,source,verdict,score,normalizedScore,threshold,thresholdSource,model{id,sha256},regions[{x,y,w,h,area,maxScore}],timingsMs{decode,backbone,score,post,total}}"));

    private static void pin(String message, byte[] json) {
        assertEquals(CONTRACT.get(message), dev.kensa.testing.JsonShape.of(json),
                message + " changed on the wire: " + new String(json, StandardCharsets.UTF_8));
    }

    /** Whether a status message naming model {@code sha} arrives (earlier ones may still name the old model). */
    private static boolean statusNames(MqttSubscriber sub, String sha) {
        try {
            Wait.until("a status naming " + sha, Duration.ofMillis(WAIT_MS), Duration.ofMillis(1), () -> sub.poll("status", 500),
                    m -> m != null && sha.equals(SourcesIT.readTree(new String(m.getPayload(), StandardCharsets.UTF_8))
                            .at("/model/sha256").asText()));
            return true;
        } catch (AssertionError none) {
            return false;
        }
    }

    @Test
    void inspectTopicAnswersOnTheResponseTopicWithCorrelationAndReportsCorruptImages() throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             Daemon d = Daemon.start(tmp.resolve("run-mqtt-in"), bundle, tmp.resolve("journal-mqtt-in"),
                     "-Dkensa.mqtt.url=" + broker.uri(), "-Dkensa.device-id=" + DEVICE);
             MqttSubscriber replies = MqttSubscriber.connect(broker, "mes-replies", false, "mes/replies/#", "mes/replies/", WAIT_MS);
             MqttSubscriber line = MqttSubscriber.connect(broker, "line-plc-2", false, PREFIX + "result", PREFIX, WAIT_MS)) {
            org.eclipse.paho.mqttv5.client.MqttClient requester = new org.eclipse.paho.mqttv5.client.MqttClient(
                    broker.uri(), "mes-requester", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            requester.connect();
            // wait until the daemon reports its inspect subscription
            SourcesIT.awaitStatus(d, st -> st.get("mqtt").get("inspectSubscribed").asBoolean());

            for (String[] req : new String[][]{{"req-ng-1", "broken_large"}, {"req-bad-2", null}}) {
                org.eclipse.paho.mqttv5.common.packet.MqttProperties p = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
                p.setResponseTopic("mes/replies/station-4");
                p.setCorrelationData(("corr-" + req[0]).getBytes(StandardCharsets.UTF_8));
                p.setUserProperties(List.of(new org.eclipse.paho.mqttv5.common.packet.UserProperty("id", req[0])));
                byte[] payload = req[1] != null ? image(req[1], 2) : "definitely not an image".getBytes(StandardCharsets.UTF_8);
                org.eclipse.paho.mqttv5.common.MqttMessage m = new org.eclipse.paho.mqttv5.common.MqttMessage(payload, 1, false, p);
                requester.publish(PREFIX + "inspect", m);

                MqttMessage reply = replies.next("station-4");
                assertArrayEquals(("corr-" + req[0]).getBytes(StandardCharsets.UTF_8), reply.getProperties().getCorrelationData());
                JsonNode r = JSON.readTree(reply.getPayload());
                assertEquals(req[0], r.get("id").asText(), "the request's id is the result id");
                assertEquals(req[1] != null ? "NG" : "ERROR", r.get("verdict").asText(), r.toString());
                if (req[1] == null) {
                    assertTrue(r.get("error").asText().contains("cannot decode"), r.toString());
                }
                // and the line sees it on the ordinary result topic, from the journal
                assertEquals(req[0], MqttSubscriber.userProperty(line.next("result"), "id"));
            }
            requester.disconnect();
            requester.close();
            assertEquals(200, d.inspect(image("good", 0)).statusCode(), "still serving after a corrupt MQTT image");
            assertEquals(2, JSON.readTree(d.get("/api/v1/status").body()).get("mqtt").get("inspectHandled").asInt());
        }
    }

    @Test
    void withoutABrokerConfiguredTheDaemonStartsItsEmbeddedOneOnLoopback() throws Exception {
        int port = Daemon.freePort();
        String uri = "tcp://127.0.0.1:" + port;
        try (Daemon d = Daemon.start(tmp.resolve("run-embedded"), bundle, tmp.resolve("journal-embedded"),
                "-Dkensa.mqtt.embedded=true", "-Dkensa.mqtt.embedded-port=" + port, "-Dkensa.device-id=" + DEVICE)) {
            JsonNode mqtt = SourcesIT.awaitStatus(d, st -> st.get("mqtt").get("connected").asBoolean()).get("mqtt");
            assertTrue(mqtt.get("embedded").asBoolean() && mqtt.get("connected").asBoolean(), mqtt.toString());
            // the retained status reaches a subscriber that connects after the daemon; a subscription made in the
            // very instant the broker stores it can miss it, so a subscriber that got nothing connects again
            java.util.concurrent.atomic.AtomicReference<MqttSubscriber> sub = new java.util.concurrent.atomic.AtomicReference<>();
            MqttMessage status;
            try {
                status = Wait.until("the retained status on the embedded broker", Duration.ofMillis(WAIT_MS),
                        Duration.ofMillis(1), () -> {
                            if (sub.get() != null) {
                                sub.get().close();
                            }
                            sub.set(MqttSubscriber.connect(uri, "laptop", false, PREFIX + "#", PREFIX, WAIT_MS));
                            return sub.get().poll("status", 2_000);
                        }, m -> m != null);
            } catch (AssertionError | RuntimeException e) {
                if (sub.get() != null) {
                    sub.get().close();
                }
                throw e;
            }
            try (MqttSubscriber s = sub.get()) {
                assertTrue(status != null, "retained status on the embedded broker");
                assertEquals("online", JSON.readTree(status.getPayload()).get("state").asText());
                HttpResponse<String> r = d.inspect(image("broken_large", 3));
                String id = JSON.readTree(r.body()).get("id").asText();
                MqttMessage result = s.next("result");
                assertEquals(id, MqttSubscriber.userProperty(result, "id"));
                assertArrayEquals(id.getBytes(StandardCharsets.UTF_8), s.next("heatmap").getProperties().getCorrelationData());
            }
        }
    }
}
