package dev.kensa.testing;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A line system that sends QoS 1 messages (e.g. inspect requests), each acknowledged by the broker before the next. */
public final class MqttRequester implements AutoCloseable {
    private final MqttClient client;

    public MqttRequester(String uri) throws MqttException {
        client = new MqttClient(uri, "test-requester-" + System.nanoTime(), new MemoryPersistence());
        client.connect();
    }

    public void send(String topic, String payload) throws MqttException {
        client.publish(topic, new MqttMessage(payload.getBytes(StandardCharsets.UTF_8), 1, false, null));
    }

    /** A request with result id {@code id} and a few bytes of payload, answered on {@code responseTopic}. */
    public void request(String topic, String id, String responseTopic) throws MqttException {
        MqttProperties p = new MqttProperties();
        p.setResponseTopic(responseTopic);
        p.setUserProperties(List.of(new UserProperty("id", id)));
        client.publish(topic, new MqttMessage(new byte[]{1, 2, 3}, 1, false, p));
    }

    @Override
    public void close() throws MqttException {
        MqttSubscriber.close(client);
    }
}
