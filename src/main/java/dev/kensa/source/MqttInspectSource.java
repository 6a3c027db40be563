package dev.kensa.source;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.mqtt.Topics;
import dev.kensa.pipeline.ImageInput;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The MQTT image source (../shared/DESIGN.md §6): image bytes on {@code <prefix>inspect} (QoS 1, optional user
 * properties {@code id}, the result id, and {@code partId}, the part's serial); each is inspected and journalled (so
 * the result is also published on {@code result}), and when the request names an MQTT 5 response topic the result
 * JSON is sent there too, with the request's correlation data.
 *
 * <p>It is a subscription of the daemon's one {@link MqttConnection}, whose persistent session keeps requests sent
 * while the box restarts at the broker. Requests are handled one at a time, in order, by this source's worker (a
 * {@link SourceWorker}: restarted, and reported down meanwhile, if it dies) and acknowledged after the result is
 * journalled; the broker holds what the box has not taken (the connection's Receive Maximum), which is the
 * back-pressure.
 *
 * <p>Size: the connection announces an MQTT 5 Maximum Packet Size of {@link #maximumPacketSize} (the image limit +
 * 1 MiB), so the broker discards (and logs) larger messages instead of sending them into this process's memory; a
 * payload over {@code maxBytes} within that margin gets an ERROR result saying its size.
 */
public final class MqttInspectSource implements Source {
    private static final Logger LOG = Logger.getLogger(MqttInspectSource.class);
    /** Its source id: the key in the status's {@code sources} and the readiness check's name. */
    public static final String ID = "mqttInspect";

    /** Inspects and journals one image ({@code image} null for a refused input); returns the result JSON. */
    @FunctionalInterface
    public interface Handler {
        byte[] inspect(ImageInput input, byte[] image) throws Exception;
    }

    /** The MQTT source's status: its worker's, whether it is subscribed now, and the requests it answered. */
    @JsonPropertyOrder({"worker", "subscribed", "handled"})
    public record Status(@JsonUnwrapped SourceWorker.Status worker, boolean subscribed, long handled)
            implements Source.Status {
    }

    /** Room for the MQTT fixed header, topic and properties above the image, in the announced packet size. */
    static final long PACKET_MARGIN = 1 << 20;

    private final MqttConnection mqtt;
    private final Handler handler;
    private final long maxBytes;
    private final MqttConnection.Subscription subscription;
    private final SourceWorker worker;

    /**
     * Subscribes to the inspect topic at once (so the connection subscribes when it connects); requests are taken
     * from {@link #start()} on.
     *
     * @param maxBytes      largest image payload inspected ({@code kensa.api.max-image-bytes})
     * @param onStateChange called when the worker goes down or comes back (for the MQTT status)
     */
    public MqttInspectSource(MqttConnection mqtt, Handler handler, long maxBytes, Runnable onStateChange) {
        this.mqtt = mqtt;
        this.handler = handler;
        this.maxBytes = maxBytes;
        this.subscription = mqtt.subscribe(mqtt.settings().topic(Topics.INSPECT), 1, this::handle);
        this.worker = new SourceWorker("kensa-mqtt-inspect", "MQTT inspect source", subscription::serve, onStateChange);
    }

    /** The Maximum Packet Size the connection announces so images up to {@code maxBytes} arrive and larger do not. */
    public static long maximumPacketSize(long maxBytes) {
        return maxBytes + PACKET_MARGIN;
    }

    public MqttInspectSource start() {
        worker.start();
        return this;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Status status() {
        return new Status(worker.status(), isSubscribed(), handled());
    }

    @Override
    public Map<String, Object> readinessData() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subscribed", isSubscribed());
        m.put("handled", handled());
        return m;
    }

    public long handled() {
        return subscription.handled();
    }

    /** Connected and subscribed to the inspect topic. */
    public boolean isSubscribed() {
        return subscription.isSubscribed();
    }

    private void handle(String topic, MqttMessage message) throws Exception {
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
        if (in != null && in.getResponseTopic() != null) {
            MqttProperties out = new MqttProperties();
            out.setContentType("application/json");
            if (in.getCorrelationData() != null) {
                out.setCorrelationData(in.getCorrelationData());
            }
            try {
                mqtt.publish(in.getResponseTopic(), new MqttMessage(result, 1, false, out));
            } catch (MqttException e) {
                // the result is journalled and goes out on the result topic; only this direct answer is lost
                LOG.warnf("MQTT inspect source: answer to %s not sent (%s); the result is on the result topic",
                        in.getResponseTopic(), e.getMessage());
            }
        }
    }

    /**
     * Stops taking requests. The subscription stays in the broker's session, so requests sent meanwhile wait there
     * for the next start; one queued here but not handled is not acknowledged, so the broker sends it again.
     */
    @Override
    public void close() throws InterruptedException {
        worker.close();
    }
}
