package dev.kensa.mqtt;

import dev.kensa.KensaException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.jboss.logging.Logger;

import java.nio.file.Path;

/**
 * The MQTT broker {@code kensa serve} starts when no external one is configured, so a bare box works out of the
 * box: Apache ActiveMQ Artemis, embedded, MQTT 5 (retained messages, Last Will, response topics), listening on
 * loopback only. Chosen because it is maintained by the Apache ActiveMQ project, embeds with a few lines, speaks
 * MQTT 5 completely and logs through SLF4J, which Quarkus routes to its own logging; HiveMQ CE embedded needs
 * logback at runtime and ships RocksDB natives for every platform, and Moquette's last release is from 2023.
 * Production lines should point {@code kensa.mqtt.url} at the plant's broker.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedBroker.class);

    private final EmbeddedActiveMQ server = new EmbeddedActiveMQ();
    private final int port;

    private EmbeddedBroker(int port) {
        this.port = port;
    }

    /**
     * @param port    loopback port to listen on
     * @param dataDir where the broker keeps persistent sessions and retained messages
     */
    public static EmbeddedBroker start(int port, Path dataDir) {
        EmbeddedBroker b = new EmbeddedBroker(port);
        ConfigurationImpl cfg = new ConfigurationImpl();
        cfg.setName("kensa-embedded");
        cfg.setSecurityEnabled(false); // loopback only: nothing outside the box can connect
        cfg.setPersistenceEnabled(true);
        cfg.setJournalDirectory(dataDir.resolve("journal").toString());
        cfg.setBindingsDirectory(dataDir.resolve("bindings").toString());
        cfg.setPagingDirectory(dataDir.resolve("paging").toString());
        cfg.setLargeMessagesDirectory(dataDir.resolve("large").toString());
        cfg.setJMXManagementEnabled(false);
        // MQTT subscriptions need no dead-letter or expiry handling; saying so keeps Artemis from warning per queue
        cfg.addAddressSetting("#", new AddressSettings()
                .setDeadLetterAddress(SimpleString.of("DLQ")).setExpiryAddress(SimpleString.of("ExpiryQueue")));
        try {
            cfg.addAcceptorConfiguration("mqtt", "tcp://127.0.0.1:" + port + "?protocols=MQTT");
            b.server.setConfiguration(cfg);
            b.server.start();
        } catch (Exception e) {
            throw new KensaException("embedded MQTT broker cannot start on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        LOG.infof("embedded MQTT broker (ActiveMQ Artemis) listening on 127.0.0.1:%d; set kensa.mqtt.url to use the plant's broker", port);
        return b;
    }

    public String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debugf("embedded broker stop: %s", e.getMessage());
        }
    }
}
