package dev.kensa.source;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.mqtt.MqttSettings;
import dev.kensa.publish.ResultPublisher;
import dev.kensa.publish.RetainedStatus;
import dev.kensa.testing.Mosquitto;
import dev.kensa.testing.MqttRequester;
import dev.kensa.testing.MqttSubscriber;
import dev.kensa.verdict.Verdict;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MQTT inspect source and the results publisher on the daemon's one connection, against a real mosquitto
 * (../shared/DESIGN.md §6, §10).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttInspectSourceTest {
    private static final String DEVICE = "box";
    private static final String PREFIX = "kensa/" + DEVICE + "/";
    private static final long WAIT_MS = 20_000;

    /**
     * The publisher and the inspect source share one client: the broker sees one client id for the box, MQTT 5 with
     * clean start off; and its session keeps a request sent while the box is away until it is back.
     */
    @Test
    void thePublisherAndTheInspectSourceAreOneClientWithAPersistentSession(@TempDir Path dir) throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             ResultJournal journal = ResultJournal.open(dir.resolve("journal"));
             MqttSubscriber line = MqttSubscriber.connect(broker, "line-plc", false, PREFIX + "result", PREFIX, WAIT_MS);
             MqttSubscriber replies = MqttSubscriber.connect(broker, "mes-replies", false, "mes/replies/#", "mes/replies/", WAIT_MS);
             MqttRequester requester = new MqttRequester(broker.uri())) {
            try (Box box = new Box(broker.uri(), journal, (input, image) -> journalled(journal, input.requestedId()))) {
                waitUntil("inspect subscription").until(box.inspect::isSubscribed);
                requester.request(PREFIX + "inspect", "req-1", "mes/replies/station");
                assertEquals("req-1", text(replies.next("station").getPayload()), "answered on the response topic");
                assertEquals("req-1", text(line.next("result").getPayload()), "and published from the journal");
            }
            List<String> connections = kensaConnections(broker);
            assertEquals(1, connections.size(), "one connection for publisher and source: " + broker.logTail());
            assertTrue(connections.get(0).startsWith("kensa-box (p5, c0,"), "MQTT 5, clean start off: " + connections);

            // the box is away (restarting): the request waits in its session at the broker
            requester.request(PREFIX + "inspect", "req-2", "mes/replies/station");
            try (Box again = new Box(broker.uri(), journal, (input, image) -> journalled(journal, input.requestedId()))) {
                assertEquals("req-2", text(replies.next("station").getPayload()), "the request sent while the box was away");
                waitUntil("counted").until(() -> again.inspect.handled() == 1);
            }
            assertEquals(Set.of("kensa-box"), clientIds(kensaConnections(broker)), "still one client id");
        }
    }

    /** A slow inspection of an MQTT request does not hold up the results publisher on the same connection. */
    @Test
    void aBusyInspectionDoesNotHoldUpThePublisher(@TempDir Path dir) throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             ResultJournal journal = ResultJournal.open(dir.resolve("journal"));
             MqttSubscriber line = MqttSubscriber.connect(broker, "line-plc", false, PREFIX + "result", PREFIX, WAIT_MS);
             MqttRequester requester = new MqttRequester(broker.uri())) {
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch release = new CountDownLatch(1);
            try (Box box = new Box(broker.uri(), journal, (input, image) -> {
                seen.add(input.requestedId());
                release.await();
                return journalled(journal, input.requestedId());
            })) {
                waitUntil("inspect subscription").until(box.inspect::isSubscribed);
                for (int i = 0; i < 20; i++) {
                    requester.request(PREFIX + "inspect", "req-" + i, "mes/replies/station");
                }
                waitUntil("the first request in inspection").until(() -> seen.size() == 1);
                for (int i = 0; i < 5; i++) {
                    journalled(journal, "http-" + i); // results of other sources meanwhile
                }
                for (int i = 0; i < 5; i++) {
                    assertEquals("http-" + i, text(line.next("result").getPayload()));
                }
                waitUntil("the publisher's results acknowledged").until(() -> journal.backlog() == 0);
                assertEquals(List.of("req-0"), seen, "the inspection is still busy with the first request");

                release.countDown();
                waitUntil("all requests handled").until(() -> box.inspect.handled() == 20);
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    expected.add("req-" + i);
                }
                assertEquals(expected, seen, "one at a time, in order");
            }
        }
    }

    private static byte[] journalled(ResultJournal journal, String id) {
        return journal.append(new JournalEntry(0, id, Verdict.OK, id.getBytes(StandardCharsets.UTF_8), new byte[0])).json();
    }

    private static ConditionFactory waitUntil(String what) {
        return Awaitility.await(what).atMost(Duration.ofMillis(WAIT_MS)).pollInterval(Duration.ofMillis(20));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** "kensa-box (p5, c0, k30)" for every connection of a Kensa client the broker logged, in order. */
    private static List<String> kensaConnections(Mosquitto broker) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("New client connected from \\S+ as (kensa-\\S+ \\([^)]*\\))").matcher(broker.logTail());
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static Set<String> clientIds(List<String> connections) {
        Set<String> ids = new TreeSet<>();
        connections.forEach(c -> ids.add(c.substring(0, c.indexOf(' '))));
        return ids;
    }

    @JsonPropertyOrder({"state", "deviceId"})
    record TestStatus(String state, String deviceId) implements RetainedStatus {
        @Override
        public TestStatus saying(String newState) {
            return new TestStatus(newState, deviceId);
        }
    }

    /** The daemon's MQTT parts as it assembles them: one connection, the publisher, the inspect source. */
    private static final class Box implements AutoCloseable {
        final MqttConnection mqtt;
        final ResultPublisher publisher;
        final MqttInspectSource inspect;

        Box(String uri, ResultJournal journal, MqttInspectSource.Handler handler) {
            mqtt = new MqttConnection(MqttSettings.of(uri, DEVICE));
            publisher = new ResultPublisher(mqtt, journal, () -> new TestStatus("online", DEVICE));
            inspect = new MqttInspectSource(mqtt, handler, 1_000, () -> {
            });
            publisher.start();
            inspect.start();
            mqtt.start();
        }

        @Override
        public void close() throws InterruptedException {
            inspect.close();
            publisher.close();
            mqtt.close();
        }
    }
}
