package dev.kensa.mqtt;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The one place both MQTT clients (publisher, inspect source) take their credentials and timeout from. */
class MqttSettingsTest {
    @Test
    void connectionOptionsCarryTheCredentialsAndTimeout() {
        MqttConnectionOptions o = MqttSettings.of("tcp://127.0.0.1:1883", "box").withCredentials("line", "s3cret")
                .connectionOptions();
        assertEquals("line", o.getUserName());
        assertArrayEquals("s3cret".getBytes(StandardCharsets.UTF_8), o.getPassword());
        assertEquals(10, o.getConnectionTimeout());
    }

    @Test
    void anonymousByDefault() {
        MqttConnectionOptions o = MqttSettings.of("tcp://127.0.0.1:1883", "box").connectionOptions();
        assertNull(o.getUserName());
        assertNull(o.getPassword());
        assertEquals("kensa/box/" + Topics.STATUS, MqttSettings.of("tcp://127.0.0.1:1883", "box").topic(Topics.STATUS));
    }
}
