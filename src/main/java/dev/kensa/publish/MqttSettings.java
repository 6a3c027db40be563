package dev.kensa.publish;

/**
 * Where and how the results publisher talks MQTT (DESIGN §6). An {@code ssl://} server URI works as is: Paho
 * then uses the JVM's default SSL socket factory and trust store.
 *
 * @param serverUri       e.g. {@code tcp://127.0.0.1:1883} or {@code ssl://broker:8883}
 * @param deviceId        this appliance's id; part of the topic prefix and of every status message
 * @param clientId        MQTT client id; null means {@code kensa-<deviceId>}
 * @param username        null for an anonymous connection
 * @param password        null when there is none
 * @param topicPrefix     null means {@code kensa/<deviceId>/}; a missing trailing slash is added
 * @param heatmapQos      QoS of the heatmap messages, 0 or 1
 * @param connectTimeoutS how long one connection attempt may take, seconds; 0 or less means 10
 */
public record MqttSettings(String serverUri, String deviceId, String clientId, String username, String password,
                           String topicPrefix, int heatmapQos, int connectTimeoutS) {

    public MqttSettings {
        if (serverUri == null || serverUri.isBlank()) {
            throw new IllegalArgumentException("MQTT server URI is missing");
        }
        if (deviceId == null || deviceId.isBlank()) {
            throw new IllegalArgumentException("MQTT device id is missing");
        }
        if (heatmapQos != 0 && heatmapQos != 1) {
            throw new IllegalArgumentException("heatmap QoS must be 0 or 1, got " + heatmapQos);
        }
        if (clientId == null || clientId.isBlank()) {
            clientId = "kensa-" + deviceId;
        }
        if (topicPrefix == null || topicPrefix.isBlank()) {
            topicPrefix = Topics.defaultPrefix(deviceId);
        } else if (!topicPrefix.endsWith("/")) {
            topicPrefix = topicPrefix + "/";
        }
        if (connectTimeoutS <= 0) {
            connectTimeoutS = 10;
        }
    }

    /** Anonymous, default prefix, client id and timeout, heatmaps at QoS 1. */
    public static MqttSettings of(String serverUri, String deviceId) {
        return new MqttSettings(serverUri, deviceId, null, null, null, null, 1, 0);
    }

    public MqttSettings withClientId(String id) {
        return new MqttSettings(serverUri, deviceId, id, username, password, topicPrefix, heatmapQos, connectTimeoutS);
    }

    public MqttSettings withCredentials(String user, String pass) {
        return new MqttSettings(serverUri, deviceId, clientId, user, pass, topicPrefix, heatmapQos, connectTimeoutS);
    }

    public MqttSettings withHeatmapQos(int qos) {
        return new MqttSettings(serverUri, deviceId, clientId, username, password, topicPrefix, qos, connectTimeoutS);
    }

    /** The full topic for a leaf name of {@link Topics}, such as {@link Topics#RESULT}. */
    public String topic(String leaf) {
        return topicPrefix + leaf;
    }

    /**
     * Connection options with what every Kensa client of this broker shares: the credentials and the connection
     * timeout. Each client adds its own (will, session, keep-alive).
     */
    public org.eclipse.paho.mqttv5.client.MqttConnectionOptions connectionOptions() {
        var o = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
        o.setConnectionTimeout(connectTimeoutS);
        if (username != null) {
            o.setUserName(username);
        }
        if (password != null) {
            o.setPassword(password.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return o;
    }

    /** Keeps the password out of logs. */
    @Override
    public String toString() {
        return "MqttSettings[serverUri=" + serverUri + ", deviceId=" + deviceId + ", clientId=" + clientId
                + ", username=" + username + ", password=" + (password == null ? "null" : "***")
                + ", topicPrefix=" + topicPrefix + ", heatmapQos=" + heatmapQos
                + ", connectTimeoutS=" + connectTimeoutS + "]";
    }
}
