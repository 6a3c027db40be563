package dev.kensa.publish;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.mqtt.MqttSettings;
import dev.kensa.verdict.Verdict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import dev.kensa.testing.Mosquitto;
import dev.kensa.testing.MqttSubscriber;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The publisher against a real mosquitto, observed by a real MQTT 5 subscriber (../shared/DESIGN.md §6). */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class ResultPublisherTest {
    private static final String DEVICE = "cam1";
    private static final String PREFIX = "kensa/" + DEVICE + "/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_MS = 8_000;

    @TempDir
    Path dir;

    @Test
    void resultsHeatmapsAndRetainedStatusArriveAsDocumented() throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             ResultJournal journal = ResultJournal.open(dir.resolve("journal"));
             MqttSubscriber early = MqttSubscriber.connect(broker, "early", false, PREFIX + "#", PREFIX, WAIT_MS)) {
            Publishing publisher = new Publishing(broker.uri(), journal);
            try {
                publisher.start();
                await(publisher::isConnected, "publisher connected");
                JsonNode online = JSON.readTree(early.next("status").getPayload());
                assertEquals("online", online.get("state").asText());
                assertEquals(DEVICE, online.get("deviceId").asText());
                assertEquals("test-1", online.get("version").asText());

                List<JournalEntry> entries = List.of(
                        entry("r-0", Verdict.OK, jpeg(1)),
                        entry("r-1", Verdict.NG, jpeg(2)),
                        entry("r-2", Verdict.ERROR, new byte[0])); // an ERROR result has no heatmap
                journal.append(entries);

                for (JournalEntry e : entries) {
                    MqttMessage m = early.next("result");
                    assertArrayEquals(e.json(), m.getPayload(), "result JSON byte-equal for " + e.id());
                    assertEquals(1, m.getQos());
                    assertFalse(m.isRetained());
                    assertEquals("application/json", m.getProperties().getContentType());
                    assertEquals(e.id(), userProperty(m, "id"));
                }
                for (JournalEntry e : entries.subList(0, 2)) {
                    MqttMessage m = early.next("heatmap");
                    assertArrayEquals(e.heatmap(), m.getPayload(), "heatmap bytes for " + e.id());
                    assertEquals("image/jpeg", m.getProperties().getContentType());
                    assertArrayEquals(e.id().getBytes(StandardCharsets.UTF_8), m.getProperties().getCorrelationData());
                    assertEquals(e.id(), userProperty(m, "id"));
                }
                await(() -> journal.backlog() == 0, "journal drained");
                assertEquals(3, publisher.sentCount());
                assertNull(early.poll("heatmap", 300), "no heatmap for the ERROR result");

                // retained: a subscriber that comes after the publisher still learns it is online
                try (MqttSubscriber late = MqttSubscriber.connect(broker, "late", false, PREFIX + "status", PREFIX, WAIT_MS)) {
                    MqttMessage m = late.next("status");
                    assertTrue(m.isRetained(), "status is retained");
                    assertEquals("online", JSON.readTree(m.getPayload()).get("state").asText());
                }

                publisher.publishModelEvent(new dev.kensa.model.ModelEvent.NoModel("2026-01-01T00:00:00Z", "test"));
                assertEquals("no-model", JSON.readTree(early.next("model/event").getPayload()).get("event").asText());
            } finally {
                publisher.close();
            }
        }
    }

    /**
     * Made deterministic with a persistent broker and a persistent subscriber session: the subscriber connects with
     * clean start false and a session expiry before the outage, and mosquitto (persistence on, stopped with
     * SIGTERM) saves that session and restores it on restart. So whether the publisher or the subscriber gets
     * back first after the restart, every QoS 1 result is either queued in the session or delivered live, in
     * publish order; no race with the publisher's own reconnect timer.
     */
    @Test
    void brokerOutageDelaysResultsButLosesNoneAndKeepsOrder() throws Exception {
        try (Mosquitto broker = Mosquitto.launch(true);
             ResultJournal journal = ResultJournal.open(dir.resolve("journal"));
             MqttSubscriber sub = MqttSubscriber.connect(broker, "outage-sub", true, PREFIX + "result", PREFIX, WAIT_MS)) {
            Publishing publisher = new Publishing(broker.uri(), journal);
            try {
                publisher.start();
                await(publisher::isConnected, "publisher connected");

                broker.stop();
                await(() -> !publisher.isConnected(), "publisher saw the outage");
                List<JournalEntry> entries = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    entries.add(entry(Integer.toString(i), Verdict.OK, jpeg(i)));
                }
                journal.append(entries);
                assertEquals(50, journal.backlog(), "nothing can be acknowledged while the broker is down");

                broker.start();
                assertTrue(sub.reconnect(), "the subscriber's session survived the broker restart");
                for (int i = 0; i < 50; i++) {
                    MqttMessage m = sub.next("result");
                    assertEquals(Integer.toString(i), userProperty(m, "id"), "result " + i + " in order");
                    assertArrayEquals(entries.get(i).json(), m.getPayload());
                }
                await(() -> journal.backlog() == 0, "journal drained after the outage");
                assertEquals(50, publisher.sentCount());
            } finally {
                publisher.close();
            }
        }
    }

    @Test
    void aRestartedPublisherSendsOnlyWhatWasNotAcknowledged() throws Exception {
        Path journalDir = dir.resolve("journal");
        try (Mosquitto broker = Mosquitto.launch();
             MqttSubscriber sub = MqttSubscriber.connect(broker, "restart-sub", false, PREFIX + "result", PREFIX, WAIT_MS)) {
            try (ResultJournal journal = ResultJournal.open(journalDir)) {
                Publishing first = new Publishing(broker.uri(), journal);
                try {
                    first.start();
                    for (int i = 0; i < 10; i++) {
                        journal.append(entry("a" + i, Verdict.OK, jpeg(i)));
                    }
                    for (int i = 0; i < 10; i++) {
                        assertEquals("a" + i, userProperty(sub.next("result"), "id"));
                    }
                    await(() -> journal.backlog() == 0, "first ten acknowledged");
                } finally {
                    first.close();
                }
            }
            // a clean close says goodbye on the retained status
            try (MqttSubscriber status = MqttSubscriber.connect(broker, "status-sub", false, PREFIX + "status", PREFIX, WAIT_MS)) {
                assertEquals("offline", JSON.readTree(status.next("status").getPayload()).get("state").asText());
            }

            try (ResultJournal journal = ResultJournal.open(journalDir)) {
                assertEquals(10, journal.publishedSeq());
                for (int i = 0; i < 5; i++) {
                    journal.append(entry("b" + i, Verdict.NG, jpeg(100 + i)));
                }
                Publishing second = new Publishing(broker.uri(), journal);
                try {
                    second.start();
                    for (int i = 0; i < 5; i++) {
                        assertEquals("b" + i, userProperty(sub.next("result"), "id"), "no acknowledged result resent");
                    }
                    await(() -> journal.backlog() == 0, "five new acknowledged");
                    assertEquals(5, second.sentCount());
                    assertNull(sub.poll("result", 300), "nothing more was sent");
                } finally {
                    second.close();
                }
            }
        }
    }

    /**
     * The publisher's connection dies without an MQTT DISCONNECT (a TCP reset between it and the broker, as when the
     * appliance crashes or loses power), which mosquitto answers with the Last Will.
     */
    @Test
    void aCrashedPublisherIsReportedOfflineByItsLastWill() throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             dev.kensa.testing.TcpProxy link = new dev.kensa.testing.TcpProxy(broker.port());
             ResultJournal journal = ResultJournal.open(dir.resolve("journal"));
             MqttSubscriber sub = MqttSubscriber.connect(broker, "will-sub", false, PREFIX + "status", PREFIX, WAIT_MS)) {
            Publishing publisher = new Publishing(link.uri(), journal);
            try {
                publisher.start();
                assertEquals("online", JSON.readTree(sub.next("status").getPayload()).get("state").asText());
                link.cut();
                assertWill(broker, sub);
            } finally {
                publisher.close(); // it was retrying against the cut link
            }
        }
    }

    private static void assertWill(Mosquitto broker, MqttSubscriber sub) throws Exception {
        MqttMessage will = sub.next("status");
        JsonNode state = JSON.readTree(will.getPayload());
        assertEquals("offline", state.get("state").asText());
        assertEquals(DEVICE, state.get("deviceId").asText());
        assertNull(state.get("version"), "the bare Last Will, not the goodbye a clean close() publishes");
        assertEquals("{state,deviceId}", dev.kensa.testing.JsonShape.of(will.getPayload()), "the Last Will's contract");
        assertEquals(1, will.getQos());
        // the will is retained: whoever looks later also sees offline
        try (MqttSubscriber late = MqttSubscriber.connect(broker, "will-late", false, PREFIX + "status", PREFIX, WAIT_MS)) {
            MqttMessage m = late.next("status");
            assertTrue(m.isRetained());
            assertEquals("offline", JSON.readTree(m.getPayload()).get("state").asText());
        }
    }

    /** A status as the daemon's has it: its state, device and version (the test checks all three arrive). */
    @JsonPropertyOrder({"state", "deviceId", "version"})
    record TestStatus(String state, String deviceId, String version) implements RetainedStatus {
        @Override
        public TestStatus saying(String newState) {
            return new TestStatus(newState, deviceId, version);
        }
    }

    /** The publisher on its own MQTT connection, as the daemon assembles them; closed in the daemon's order. */
    private static final class Publishing implements AutoCloseable {
        final MqttConnection mqtt;
        final ResultPublisher publisher;

        Publishing(String uri, ResultJournal journal) {
            mqtt = new MqttConnection(MqttSettings.of(uri, DEVICE));
            publisher = new ResultPublisher(mqtt, journal, () -> new TestStatus("online", DEVICE, "test-1"));
        }

        void start() {
            publisher.start();
            mqtt.start();
        }

        boolean isConnected() {
            return publisher.isConnected();
        }

        long sentCount() {
            return publisher.sentCount();
        }

        void publishModelEvent(dev.kensa.model.ModelEvent e) {
            publisher.publishModelEvent(e);
        }

        @Override
        public void close() {
            publisher.close();
            mqtt.close();
        }
    }

    private static JournalEntry entry(String id, Verdict verdict, byte[] heatmap) {
        String json = "{\"id\":\"" + id + "\",\"verdict\":\"" + verdict + "\",\"score\":0.25}";
        return new JournalEntry(0, id, verdict, json.getBytes(StandardCharsets.UTF_8), heatmap);
    }

    /** Not a decodable image; the publisher treats the heatmap as opaque bytes. */
    private static byte[] jpeg(int seed) {
        byte[] b = new byte[512 + seed];
        new Random(seed).nextBytes(b);
        b[0] = (byte) 0xFF;
        b[1] = (byte) 0xD8;
        b[b.length - 2] = (byte) 0xFF;
        b[b.length - 1] = (byte) 0xD9;
        return b;
    }

    private static String userProperty(MqttMessage m, String key) {
        MqttProperties p = m.getProperties();
        assertNotNull(p, "message has MQTT 5 properties");
        for (UserProperty u : p.getUserProperties()) {
            if (u.getKey().equals(key)) {
                return u.getValue();
            }
        }
        return fail("no user property " + key);
    }

    private static void await(BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(Duration.ofMillis(WAIT_MS)).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }

}
