package dev.kensa.mqtt;

import dev.kensa.KensaException;
import dev.kensa.testing.Mosquitto;
import dev.kensa.testing.MqttRequester;
import dev.kensa.testing.TcpProxy;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's one MQTT connection against a real mosquitto (../shared/DESIGN.md §6, §10). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttConnectionTest {
    private static final String DEVICE = "box";
    private static final String PREFIX = "kensa/" + DEVICE + "/";
    /** How long anything here may take; each is far quicker. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    /**
     * In order, one at a time; a handler that throws gets the same message again; a box that dies while a handler
     * runs never acknowledged that message, so its next connection gets it again, and only it.
     */
    @Test
    void messagesAreHandledInOrderAndAcknowledgedOnlyAfterTheirHandlerReturned() throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             TcpProxy link = new TcpProxy(broker.port());
             MqttRequester requester = new MqttRequester(broker.uri())) {
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean failedOnce = new AtomicBoolean();
            CountDownLatch inSix = new CountDownLatch(1);
            CountDownLatch releaseSix = new CountDownLatch(1);
            MqttConnection first = new MqttConnection(MqttSettings.of(link.uri(), DEVICE));
            MqttConnection.Subscription s = first.subscribe("line/parts", 1, (topic, m) -> {
                String part = text(m);
                seen.add(part);
                if (part.equals("2") && failedOnce.compareAndSet(false, true)) {
                    throw new IllegalStateException("cannot journal now (thrown by the test)");
                }
                if (part.equals("6")) {
                    inSix.countDown();
                    releaseSix.await();
                }
            });
            try (Serving serving = new Serving(s)) {
                first.start();
                waitUntil("subscribed").until(s::isSubscribed);
                for (int i = 1; i <= 5; i++) {
                    requester.send("line/parts", Integer.toString(i));
                }
                waitUntil("five handled").until(() -> s.handled() == 5);
                assertEquals(List.of("1", "2", "2", "3", "4", "5"), seen, "in order; the failed one again, at once");

                requester.send("line/parts", "6");
                assertTrue(inSix.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "6 reached its handler");
                link.cut(); // the box dies while 6 is being handled: no acknowledgement can leave it
                releaseSix.countDown();
                waitUntil("6 handled").until(() -> s.handled() == 6);
            } finally {
                first.close();
            }

            List<String> after = Collections.synchronizedList(new ArrayList<>());
            MqttConnection next = new MqttConnection(MqttSettings.of(broker.uri(), DEVICE));
            MqttConnection.Subscription again = next.subscribe("line/parts", 1, (topic, m) -> after.add(text(m)));
            try (Serving serving = new Serving(again)) {
                next.start();
                waitUntil("6 again").until(() -> after.contains("6"));
                requester.send("line/parts", "7");
                waitUntil("7").until(() -> after.contains("7"));
                assertEquals(List.of("6", "7"), after, "only the unacknowledged one came again, before the new one");
            } finally {
                next.close();
            }
        }
    }

    /** A broker restarted without its sessions: the connection comes back, subscribes again and tells its listeners. */
    @Test
    void reconnectsAfterTheBrokerIsRestartedWithTheSubscriptionBack() throws Exception {
        try (Mosquitto broker = Mosquitto.launch();
             MqttRequester requester = new MqttRequester(broker.uri())) {
            List<Boolean> connects = Collections.synchronizedList(new ArrayList<>());
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            MqttConnection c = new MqttConnection(MqttSettings.of(broker.uri(), DEVICE));
            c.addListener(new MqttConnection.Listener() {
                @Override
                public void connected(boolean reconnect) {
                    connects.add(reconnect);
                }
            });
            MqttConnection.Subscription s = c.subscribe(PREFIX + "camera/+/trigger", 1, (topic, m) -> seen.add(topic));
            try (Serving serving = new Serving(s)) {
                c.start();
                waitUntil("subscribed").until(s::isSubscribed);
                requester.send(PREFIX + "camera/cam1/trigger", "before");
                waitUntil("before").until(() -> seen.size() == 1);

                broker.stop();
                waitUntil("outage seen").until(() -> !c.isConnected());
                assertFalse(s.isSubscribed());
                broker.start(); // no persistence: the broker forgot the session and its subscription
                waitUntil("reconnected and subscribed").until(() -> connects.size() == 2 && s.isSubscribed());
                assertEquals(List.of(false, true), connects, "first connection, then a reconnection");
                try (MqttRequester later = new MqttRequester(broker.uri())) {
                    later.send(PREFIX + "camera/cam2/trigger", "after");
                }
                waitUntil("after").until(() -> seen.size() == 2);
                assertEquals(List.of(PREFIX + "camera/cam1/trigger", PREFIX + "camera/cam2/trigger"), seen);
            } finally {
                c.close();
            }
        }
    }

    /**
     * A handler busy with one message holds up neither Paho's threads nor what the connection publishes (the results
     * publisher's messages): the broker sends no more than the Receive Maximum and keeps the rest, and the
     * connection's own QoS 1 publishes are acknowledged meanwhile. (Were the messages taken without that bound, Paho's
     * callback thread would wait for room, its inbound queue of 10 would fill, and its receiver thread would stop
     * reading the broker's acknowledgements: hence more requests here than both.)
     */
    @Test
    void aBusyHandlerDoesNotHoldUpTheAcknowledgementsOfWhatTheBoxPublishes() throws Exception {
        int receiveMaximum = 3;
        int requests = 20;
        try (Mosquitto broker = Mosquitto.launch();
             MqttRequester requester = new MqttRequester(broker.uri())) {
            MqttConnection c = new MqttConnection(MqttSettings.of(broker.uri(), DEVICE).withReceiveMaximum(receiveMaximum));
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch release = new CountDownLatch(1);
            MqttConnection.Subscription s = c.subscribe(PREFIX + "inspect", 1, (topic, m) -> {
                seen.add(text(m));
                release.await();
            });
            List<String> expected = new ArrayList<>();
            try (Serving serving = new Serving(s)) {
                c.start();
                waitUntil("subscribed").until(s::isSubscribed);
                for (int i = 0; i < requests; i++) {
                    requester.send(PREFIX + "inspect", Integer.toString(i)); // each acknowledged by the broker
                    expected.add(Integer.toString(i));
                }
                waitUntil("receive maximum reached").until(() -> s.waiting() == receiveMaximum);

                for (int i = 0; i < 5; i++) {
                    c.publish(PREFIX + "result", new MqttMessage(("r" + i).getBytes(StandardCharsets.UTF_8), 1, false,
                            null)).waitForCompletion(WAIT.toMillis());
                }
                assertEquals(List.of("0"), seen, "the handler is still busy with the first message");
                assertEquals(receiveMaximum, s.waiting(), "the broker holds what the box has not taken");

                release.countDown();
                waitUntil("all handled").until(() -> s.handled() == requests);
                assertEquals(expected, seen);
            } finally {
                c.close();
            }
        }
    }

    /** {@code kensa.mqtt.ca-file}: a broker whose certificate chains to a plant CA the JVM does not know. */
    @Test
    void anSslBrokerIsTrustedThroughTheConfiguredCaFile(@TempDir Path dir) throws Exception {
        Certificates certs = Certificates.make(dir);
        try (Mosquitto broker = Mosquitto.launchTls(certs.serverCert(), certs.serverKey())) {
            MqttAsyncClient plain = new MqttAsyncClient(broker.uri(), "tls-without-ca", new MemoryPersistence());
            try {
                MqttException e = assertThrows(MqttException.class, () -> plain.connect(
                        MqttSettings.of(broker.uri(), DEVICE).connectionOptions()).waitForCompletion(WAIT.toMillis()));
                assertTrue(causes(e, SSLException.class), "refused in the TLS handshake by the JVM's trust store: " + e);
            } finally {
                plain.close(true);
            }

            MqttConnection c = new MqttConnection(MqttSettings.of(broker.uri(), DEVICE).withCaFile(certs.ca()));
            try {
                c.start();
                waitUntil("connected over TLS").until(c::isConnected);
                c.publish(PREFIX + "status", new MqttMessage("{}".getBytes(StandardCharsets.UTF_8), 1, false, null))
                        .waitForCompletion(WAIT.toMillis());
            } finally {
                c.close();
            }
        }
        Path notPem = Files.writeString(dir.resolve("not-a-ca.pem"), "hello");
        KensaException bad = assertThrows(KensaException.class,
                () -> MqttSettings.of("ssl://127.0.0.1:8883", DEVICE).withCaFile(notPem).connectionOptions());
        assertTrue(bad.getMessage().startsWith("kensa.mqtt.ca-file " + notPem + ": "), bad.getMessage());
        assertEquals(1, bad.getMessage().lines().count(), bad.getMessage());
    }

    private static boolean causes(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    static ConditionFactory waitUntil(String what) {
        return Awaitility.await(what).atMost(WAIT).pollInterval(Duration.ofMillis(20));
    }

    static String text(MqttMessage m) {
        return new String(m.getPayload(), StandardCharsets.UTF_8);
    }

    /** A subscription served on a thread of its own, as a source's worker serves it. */
    static final class Serving implements AutoCloseable {
        private final Thread thread;

        Serving(MqttConnection.Subscription s) {
            thread = new Thread(() -> {
                try {
                    s.serve();
                } catch (InterruptedException e) {
                    // closed
                }
            }, "test-serve");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(5_000);
        }
    }

    /** A plant CA and a broker certificate for 127.0.0.1 signed by it, made with openssl. */
    record Certificates(Path ca, Path serverCert, Path serverKey) {
        static Certificates make(Path dir) throws Exception {
            if (!Files.isExecutable(Path.of("/usr/bin/openssl"))) {
                String message = "openssl not found: apt-get install openssl";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new IllegalStateException(message);
                }
                Assumptions.abort(message);
            }
            Path d = Files.createDirectories(dir.resolve("certs"));
            Files.writeString(d.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
            openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                    "-subj", "/CN=kensa-test-plant-ca");
            openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                    "-subj", "/CN=127.0.0.1");
            openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
            return new Certificates(d.resolve("ca.pem"), d.resolve("server.pem"), d.resolve("server.key"));
        }

        private static void openssl(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/openssl"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", cmd) + " failed: "
                            + Files.readString(dir.resolve("openssl.log")));
                }
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
