package dev.kensa.testing;

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

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A plain MQTT 5 subscriber for tests that queues what arrives, per topic leaf (the part after the prefix). */
public final class MqttSubscriber implements AutoCloseable, MqttCallback {
    private final String prefix;
    private final long waitMs;

    private final MqttClient client;
    private final MqttConnectionOptions options = new MqttConnectionOptions();
    private final Map<String, BlockingQueue<MqttMessage>> byLeaf = new ConcurrentHashMap<>();

    private MqttSubscriber(String uri, String clientId, boolean persistentSession, String prefix, long waitMs) throws MqttException {
        this.prefix = prefix;
        this.waitMs = waitMs;
        client = new MqttClient(uri, clientId, new MemoryPersistence());
        client.setCallback(this);
        if (persistentSession) {
            options.setCleanStart(false);
            options.setSessionExpiryInterval(300L);
        }
        // no automatic reconnect: the tests decide when the subscriber comes back
    }

    public static MqttSubscriber connect(Mosquitto broker, String clientId, boolean persistentSession, String filter,
                                         String prefix, long waitMs) throws MqttException {
        return connect(broker.uri(), clientId, persistentSession, filter, prefix, waitMs);
    }

    public static MqttSubscriber connect(String uri, String clientId, boolean persistentSession, String filter,
                                         String prefix, long waitMs) throws MqttException {
        MqttSubscriber s = new MqttSubscriber(uri, clientId, persistentSession, prefix, waitMs);
        s.client.connect(s.options);
        s.client.subscribe(filter, 1).waitForCompletion(5_000);
        return s;
    }

    /** Connects again after the broker came back; returns whether the broker still had the session. */
    public boolean reconnect() throws MqttException {
        IMqttToken t = client.connectWithResult(options);
        return t.getSessionPresent();
    }

    public MqttMessage next(String leaf) throws InterruptedException {
        MqttMessage m = poll(leaf, waitMs);
        assertNotNull(m, "timed out waiting for a message on " + prefix + leaf);
        return m;
    }

    public MqttMessage poll(String leaf, long millis) throws InterruptedException {
        return queue(leaf).poll(millis, TimeUnit.MILLISECONDS);
    }

    private BlockingQueue<MqttMessage> queue(String leaf) {
        return byLeaf.computeIfAbsent(leaf, k -> new LinkedBlockingQueue<>());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        queue(topic.startsWith(prefix) ? topic.substring(prefix.length()) : topic).add(message);
    }

    @Override
    public void close() throws MqttException {
        close(client);
    }

    /** Disconnects (if connected) and closes a test's client. */
    static void close(MqttClient client) throws MqttException {
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
        } finally {
            client.close(true);
        }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
    }

    /** The value of an MQTT 5 user property, or null. */
    public static String userProperty(MqttMessage m, String key) {
        MqttProperties p = m.getProperties();
        if (p == null) {
            return null;
        }
        for (UserProperty u : p.getUserProperties()) {
            if (u.getKey().equals(key)) {
                return u.getValue();
            }
        }
        return null;
    }
}
