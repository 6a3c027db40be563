package dev.kensa.mqtt;

import dev.kensa.KensaException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Where and how the box talks MQTT (../shared/DESIGN.md §6): the one place for the broker, the credentials and TLS of
 * the daemon's one {@link MqttConnection}. An {@code ssl://} server URI uses the JVM's trust store, or only the CA
 * certificates in {@code caFile} (PEM, e.g. the plant's own CA) when one is given; the broker's name is checked
 * against its certificate either way.
 *
 * @param serverUri         e.g. {@code tcp://127.0.0.1:1883} or {@code ssl://broker:8883}
 * @param deviceId          this appliance's id; part of the topic prefix and of every status message
 * @param clientId          MQTT client id; null means {@code kensa-<deviceId>}
 * @param username          null for an anonymous connection
 * @param password          null when there is none
 * @param topicPrefix       null means {@code kensa/<deviceId>/}; a missing trailing slash is added
 * @param heatmapQos        QoS of the heatmap messages, 0 or 1
 * @param connectTimeoutS   how long one connection attempt may take, seconds; 0 or less means 10
 * @param receiveMaximum    MQTT 5 Receive Maximum: messages (QoS 1 and 2) the broker may send before the box
 *                          acknowledged them; the broker holds the rest. 0 or less means
 *                          {@value #DEFAULT_RECEIVE_MAXIMUM}
 * @param maximumPacketSize MQTT 5 Maximum Packet Size announced to the broker, which drops larger messages
 *                          instead of sending them; 0 or less: none announced
 * @param caFile            PEM file of the CA certificates an {@code ssl://} broker's certificate must chain to;
 *                          null: the JVM's trust store
 */
public record MqttSettings(String serverUri, String deviceId, String clientId, String username, String password,
                           String topicPrefix, int heatmapQos, int connectTimeoutS, int receiveMaximum,
                           long maximumPacketSize, Path caFile) {

    /**
     * Small, because what the box has not taken is better left at the broker: it survives a crash there, and a
     * shared subscription hands it to another box. It bounds the messages queued in memory for all subscriptions.
     */
    public static final int DEFAULT_RECEIVE_MAXIMUM = 8;

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
        if (receiveMaximum <= 0) {
            receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
        }
        receiveMaximum = Math.min(receiveMaximum, 65_535); // MQTT's two-byte field
        if (maximumPacketSize > 0) {
            maximumPacketSize = Math.min(maximumPacketSize, 268_435_460L); // MQTT's own limit, about 256 MB
        }
    }

    /** Anonymous, default prefix, client id, timeout and Receive Maximum, heatmaps at QoS 1, no packet size. */
    public static MqttSettings of(String serverUri, String deviceId) {
        return new MqttSettings(serverUri, deviceId, null, null, null, null, 1, 0, 0, 0, null);
    }

    public MqttSettings withClientId(String id) {
        return new MqttSettings(serverUri, deviceId, id, username, password, topicPrefix, heatmapQos, connectTimeoutS,
                receiveMaximum, maximumPacketSize, caFile);
    }

    public MqttSettings withCredentials(String user, String pass) {
        return new MqttSettings(serverUri, deviceId, clientId, user, pass, topicPrefix, heatmapQos, connectTimeoutS,
                receiveMaximum, maximumPacketSize, caFile);
    }

    public MqttSettings withHeatmapQos(int qos) {
        return new MqttSettings(serverUri, deviceId, clientId, username, password, topicPrefix, qos, connectTimeoutS,
                receiveMaximum, maximumPacketSize, caFile);
    }

    public MqttSettings withReceiveMaximum(int max) {
        return new MqttSettings(serverUri, deviceId, clientId, username, password, topicPrefix, heatmapQos,
                connectTimeoutS, max, maximumPacketSize, caFile);
    }

    public MqttSettings withMaximumPacketSize(long bytes) {
        return new MqttSettings(serverUri, deviceId, clientId, username, password, topicPrefix, heatmapQos,
                connectTimeoutS, receiveMaximum, bytes, caFile);
    }

    public MqttSettings withCaFile(Path pem) {
        return new MqttSettings(serverUri, deviceId, clientId, username, password, topicPrefix, heatmapQos,
                connectTimeoutS, receiveMaximum, maximumPacketSize, pem);
    }

    /** The full topic for a leaf name of {@link Topics}, such as {@link Topics#RESULT}. */
    public String topic(String leaf) {
        return topicPrefix + leaf;
    }

    /**
     * Connection options with what is configured: credentials, connection timeout, Receive Maximum, Maximum Packet
     * Size and the CA file. {@link MqttConnection} adds the session, keep-alive and Last Will.
     *
     * @throws KensaException with one line naming the file when the CA file cannot be read as PEM certificates
     */
    public MqttConnectionOptions connectionOptions() {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setConnectionTimeout(connectTimeoutS);
        o.setReceiveMaximum(receiveMaximum);
        if (maximumPacketSize > 0) {
            o.setMaximumPacketSize(maximumPacketSize);
        }
        if (username != null) {
            o.setUserName(username);
        }
        if (password != null) {
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
        if (caFile != null) {
            o.setSocketFactory(trusting(caFile).getSocketFactory());
        }
        return o;
    }

    /** A TLS context that trusts exactly the CA certificates in a PEM file. */
    static SSLContext trusting(Path pem) {
        String what = "kensa.mqtt.ca-file " + pem;
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(pem)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new KensaException(what + ": cannot read it (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new KensaException(what + ": not PEM certificates (" + e.getMessage() + ")", e);
        }
        if (certs.isEmpty()) {
            throw new KensaException(what + ": holds no certificate");
        }
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            return tls;
        } catch (GeneralSecurityException | IOException e) {
            throw new KensaException(what + ": cannot build a trust store from it (" + e.getMessage() + ")", e);
        }
    }

    /** Keeps the password out of logs. */
    @Override
    public String toString() {
        return "MqttSettings[serverUri=" + serverUri + ", deviceId=" + deviceId + ", clientId=" + clientId
                + ", username=" + username + ", password=" + (password == null ? "null" : "***")
                + ", topicPrefix=" + topicPrefix + ", heatmapQos=" + heatmapQos
                + ", connectTimeoutS=" + connectTimeoutS + ", receiveMaximum=" + receiveMaximum
                + ", maximumPacketSize=" + maximumPacketSize + ", caFile=" + caFile + "]";
    }
}
