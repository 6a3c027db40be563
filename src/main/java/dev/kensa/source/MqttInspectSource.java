package dev.kensa.source;

import dev.kensa.pipeline.ImageInput;
import dev.kensa.publish.MqttSettings;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.jboss.logging.Logger;

/**
 * The MQTT image source (DESIGN §6): image bytes on {@code <prefix>inspect} (QoS 1, optional user properties
 * {@code id}, the result id, and {@code partId}, the part's serial); each is inspected and journalled (so the result is also published on {@code result}), and when the
 * request names an MQTT 5 response topic the result JSON is sent there too, with the request's correlation data.
 *
 * <p>The session is persistent (clean start off, one hour expiry), so requests sent while the box is restarting
 * wait at the broker. Requests are handled one at a time on Paho's callback thread and acknowledged after the
 * result is journalled: the broker holds the rest (back-pressure). Like the publisher, this reconnects with its own
 * loop rather than Paho's automatic reconnect, which never retries a first connection; that loop runs as a
 * {@link SourceWorker}, restarted (and reported down meanwhile) if it dies.
 *
 * <p>Size: the client announces an MQTT 5 Maximum Packet Size of {@code maxBytes} + 1 MiB, so the broker discards
 * (and logs) larger messages instead of sending them into this process's memory; a payload over {@code maxBytes}
 * within that margin gets an ERROR result saying its size.
 */
public final class MqttInspectSource implements AutoCloseable, MqttCallback {
    private static final Logger LOG = Logger.getLogger(MqttInspectSource.class);

    /** Inspects and journals one image ({@code image} null for a refused input); returns the result JSON. */
    @FunctionalInterface
    public interface Handler {
        byte[] inspect(ImageInput input, byte[] image) throws Exception;
    }

    /** Room for the MQTT fixed header, topic and properties above the image, in the announced packet size. */
    static final long PACKET_MARGIN = 1 << 20;

    private final MqttSettings settings;
    private final Handler handler;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final long maxBytes;
    private final SourceWorker worker;
    private volatile long handled;
    private volatile boolean subscribed;

    public MqttInspectSource(MqttSettings settings, Handler handler) throws MqttException {
        this(settings, handler, 33_554_432L, () -> {
        });
    }

    /**
     * @param maxBytes      largest image payload inspected ({@code kensa.api.max-image-bytes})
     * @param onStateChange called when the connection worker goes down or comes back (for the MQTT status)
     */
    public MqttInspectSource(MqttSettings settings, Handler handler, long maxBytes, Runnable onStateChange)
            throws MqttException {
        this.settings = settings;
        this.handler = handler;
        this.maxBytes = maxBytes;
        this.client = new MqttAsyncClient(settings.serverUri(), settings.clientId() + "-inspect", new MemoryPersistence());
        client.setCallback(this);
        client.setManualAcks(true); // ack after the result is journalled, not on arrival
        this.options = settings.connectionOptions();
        options.setCleanStart(false);
        options.setSessionExpiryInterval(3600L);
        options.setMaximumPacketSize(Math.min(268_435_460L, maxBytes + PACKET_MARGIN)); // MQTT's own limit ~256 MB
        this.worker = new SourceWorker("kensa-mqtt-inspect", "MQTT inspect source", this::loop, onStateChange);
    }

    public MqttInspectSource start() {
        worker.start();
        return this;
    }

    public SourceWorker.Status status() {
        return worker.status();
    }

    public long handled() {
        return handled;
    }

    /** Connected and subscribed to the inspect topic. */
    public boolean isSubscribed() {
        return subscribed && client.isConnected();
    }

    /** Connects, subscribes and reconnects until interrupted; broker outages are retried here, anything else ends it. */
    private void loop() throws InterruptedException {
        long backoff = 200;
        while (true) {
            try {
                if (!client.isConnected()) {
                    IMqttToken t = client.connect(options);
                    t.waitForCompletion(settings.connectTimeoutS() * 1000L + 1000);
                    client.subscribe(settings.topic(dev.kensa.publish.Topics.INSPECT), 1).waitForCompletion(5000);
                    subscribed = true;
                    LOG.infof("MQTT inspect source: subscribed to %s", settings.topic(dev.kensa.publish.Topics.INSPECT));
                    backoff = 200;
                }
                Thread.sleep(500);
            } catch (MqttException e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                LOG.debugf("MQTT inspect source: broker not reachable (%s), retrying", e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(5000, backoff * 2);
            }
        }
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) throws Exception {
        MqttProperties in = message.getProperties();
        String requestId = null;
        String partId = null;
        if (in != null && in.getUserProperties() != null) {
            for (UserProperty u : in.getUserProperties()) {
                if (u.getKey().equals("id")) {
                    requestId = u.getValue();
                } else if (u.getKey().equals("partId")) {
                    partId = u.getValue();
                }
            }
        }
        String source = "mqtt:" + topic;
        byte[] payload = message.getPayload();
        String refused = null;
        try {
            partId = PartId.check(partId, "the MQTT user property partId");
        } catch (IllegalArgumentException e) {
            refused = e.getMessage();
            partId = null;
        }
        if (refused == null && payload.length > maxBytes) {
            refused = "payload is " + payload.length + " bytes, over the limit of " + maxBytes
                    + " bytes (kensa.api.max-image-bytes)";
        }
        byte[] result = refused != null
                ? handler.inspect(ImageInput.refused(source, requestId, partId, refused), null)
                : handler.inspect(ImageInput.of(source, payload, requestId, partId), payload);
        handled++;
        if (in != null && in.getResponseTopic() != null) {
            MqttProperties out = new MqttProperties();
            out.setContentType("application/json");
            if (in.getCorrelationData() != null) {
                out.setCorrelationData(in.getCorrelationData());
            }
            client.publish(in.getResponseTopic(), new MqttMessage(result, 1, false, out));
        }
        client.messageArrivedComplete(message.getId(), message.getQos());
    }

    @Override
    public void close() throws InterruptedException {
        worker.close();
        try {
            if (client.isConnected()) {
                client.disconnect().waitForCompletion(2000);
            }
            client.close(true);
        } catch (MqttException e) {
            LOG.debugf("MQTT inspect source: close: %s", e.getMessage());
        }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        subscribed = false;
        LOG.infof("MQTT inspect source: disconnected (%s)", response == null ? "" : response.getReasonString());
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
        LOG.warnf("MQTT inspect source: %s", exception.getMessage());
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
}
