package dev.kensa.publish;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.journal.JournalEntry;
import dev.kensa.model.ModelEvent;
import dev.kensa.journal.ResultJournal;
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

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Publishes the results journal to MQTT (DESIGN §6). One thread, {@code kensa-publisher}, walks the journal from
 * the durable published cursor, strictly in order, and moves the cursor only after the broker acknowledged an
 * entry's messages; so a broker outage or a restart delays results but never loses or reorders them, and an
 * entry is sent twice only when an acknowledgement was lost (what QoS 1 allows).
 *
 * <p>While the broker is unreachable the same thread keeps reconnecting, backing off from 200 ms to 5 s.
 * The connection announces itself on the retained {@code status} topic, and its Last Will turns that to
 * offline when the appliance vanishes without saying goodbye.
 */
public final class ResultPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ResultPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BACKOFF_MIN_MS = 200;
    private static final long BACKOFF_MAX_MS = 5_000;
    /** How long one entry's acknowledgements may take before the entry counts as failed and is sent again. */
    private static final long ACK_TIMEOUT_MS = 10_000;
    private static final long IDLE_WAIT_MS = 500;
    private static final int BATCH = 64;

    private final MqttSettings settings;
    private final ResultJournal journal;
    private final Supplier<StatusMessage> status;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean running;
    private volatile boolean everConnected;

    /**
     * @param status gives the status message; called on every (re)connection, on the Paho callback thread
     */
    public ResultPublisher(MqttSettings settings, ResultJournal journal, Supplier<StatusMessage> status) {
        this.settings = settings;
        this.journal = journal;
        this.status = status;
        try {
            // memory persistence: the journal, not Paho, is what survives a crash
            this.client = new MqttAsyncClient(settings.serverUri(), settings.clientId(), new MemoryPersistence());
        } catch (MqttException e) {
            throw new IllegalArgumentException("cannot create MQTT client for " + settings.serverUri() + ": " + e.getMessage(), e);
        }
        this.options = connectionOptions(settings);
        client.setCallback(new Callback());
        this.thread = new Thread(this::run, "kensa-publisher");
        thread.setDaemon(true);
    }

    private static MqttConnectionOptions connectionOptions(MqttSettings s) {
        MqttConnectionOptions o = s.connectionOptions();
        o.setAutomaticReconnect(false); // the publisher thread reconnects, with its own back-off; see connect()
        o.setKeepAliveInterval(30);
        MqttMessage willMessage = new MqttMessage(json(new StatusMessage.Bare("offline", s.deviceId())), 1, true, null);
        o.setWill(s.topic(Topics.STATUS), willMessage);
        MqttProperties willProps = new MqttProperties();
        willProps.setContentType("application/json");
        o.setWillMessageProperties(willProps);
        return o;
    }

    /** Starts the publisher thread, which connects (and reconnects) and drains the journal. */
    public void start() {
        running = true;
        thread.start();
    }

    /** The broker this publisher sends to. */
    public String serverUri() {
        return settings.serverUri();
    }

    public boolean isConnected() {
        return client.isConnected();
    }

    /** Journal entries this publisher got acknowledged. */
    public long sentCount() {
        return sent.get();
    }

    /**
     * Queues a model load/swap/rollback/refusal event; the publisher thread sends it once connected (an event at
     * start-up happens before the first connection). Not journalled: after a restart the retained status says
     * which model is active. At most {@link #MAX_PENDING_EVENTS} wait; older ones are dropped with a warning.
     */
    public void publishModelEvent(ModelEvent event) {
        statusStale = true; // a load, swap or rollback changes the model the retained status names
        pendingEvents.add(event);
        while (pendingEvents.size() > MAX_PENDING_EVENTS) {
            LOG.warnf("MQTT offline too long, model event dropped: %s", pendingEvents.poll());
        }
    }

    /** Re-sends the retained status soon (from the publisher thread): something it reports has changed. */
    public void refreshStatus() {
        statusStale = true;
    }

    private static final int MAX_PENDING_EVENTS = 100;
    private volatile boolean statusStale;
    private final java.util.concurrent.ConcurrentLinkedQueue<ModelEvent> pendingEvents =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Sends queued model events; on failure the event goes back to the head of the queue. */
    private void flushEvents() throws MqttException {
        ModelEvent e;
        while ((e = pendingEvents.peek()) != null) {
            client.publish(settings.topic(Topics.MODEL_EVENT), message(json(e), 1, false, "application/json", null, null))
                    .waitForCompletion(ACK_TIMEOUT_MS);
            pendingEvents.poll();
        }
        if (statusStale) {
            statusStale = false;
            publishStatus(null);
        }
    }

    private void run() {
        long next = journal.publishedSeq() + 1;
        long backoff = BACKOFF_MIN_MS;
        boolean failing = false;
        while (running) {
            try {
                if (!client.isConnected()) {
                    connect();
                }
                flushEvents();
                List<JournalEntry> batch = journal.read(next, BATCH);
                if (batch.isEmpty()) {
                    journal.awaitAfter(next - 1, IDLE_WAIT_MS);
                    continue;
                }
                for (JournalEntry e : batch) {
                    send(e);
                    // count before the cursor moves, so whoever sees the backlog drop also sees the count
                    sent.incrementAndGet();
                    journal.markPublished(e.seq());
                    next = e.seq() + 1;
                }
                backoff = BACKOFF_MIN_MS;
                if (failing) {
                    LOG.infof("publishing results again, journal backlog %d", journal.backlog());
                    failing = false;
                }
            } catch (InterruptedException e) {
                break;
            } catch (MqttException | RuntimeException e) {
                if (!running) {
                    break; // close() interrupted a wait; Paho reports that as an MqttException
                }
                if (!failing) {
                    LOG.warnf("MQTT publishing stalled at result seq %d, retrying (nothing is skipped): %s", next, e.toString());
                    failing = true;
                } else {
                    LOG.debugf("MQTT retry failed at seq %d: %s", next, e.toString());
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
            }
        }
        LOG.debugf("publisher thread stopped at seq %d", next);
    }

    /**
     * One connection attempt. This thread reconnects rather than Paho's automatic reconnect: Paho 1.2.5 retries
     * only after a first successful connection, and its retry timer is a non-daemon thread that close() cannot
     * stop while the broker is down (eclipse-paho/paho.mqtt.java#654, #425), so a daemon shut down during an
     * outage would leak it.
     */
    private void connect() throws MqttException {
        client.connect(options).waitForCompletion(settings.connectTimeoutS() * 1000L + 1000);
    }

    /** Sends one entry and waits for its acknowledgements; throws when any is missing, so it is sent again. */
    private void send(JournalEntry e) throws MqttException {
        byte[] id = e.id().getBytes(StandardCharsets.UTF_8);
        IMqttToken result = client.publish(settings.topic(Topics.RESULT),
                message(e.json(), 1, false, "application/json", e.id(), null));
        IMqttToken heatmap = null;
        if (e.heatmap().length > 0) {
            heatmap = client.publish(settings.topic(Topics.HEATMAP),
                    message(e.heatmap(), settings.heatmapQos(), false, "image/jpeg", e.id(), id));
        }
        result.waitForCompletion(ACK_TIMEOUT_MS);
        if (heatmap != null) {
            heatmap.waitForCompletion(ACK_TIMEOUT_MS);
        }
    }

    private static MqttMessage message(byte[] payload, int qos, boolean retained, String contentType, String id,
                                       byte[] correlation) {
        MqttProperties p = new MqttProperties();
        p.setContentType(contentType);
        if (id != null) {
            p.setUserProperties(List.of(new UserProperty("id", id)));
        }
        if (correlation != null) {
            p.setCorrelationData(correlation);
        }
        return new MqttMessage(payload, qos, retained, p);
    }

    /** @param state null: the status's own state (online or degraded); else e.g. offline for the goodbye */
    private void publishStatus(String state) {
        Object m;
        try {
            StatusMessage s = status.get();
            m = s.as(state != null ? state : s.state() != null ? s.state() : "online", settings.deviceId());
        } catch (RuntimeException e) {
            LOG.warnf("status supplier failed, publishing a bare status: %s", e.toString());
            m = new StatusMessage.Bare(state != null ? state : "online", settings.deviceId());
        }
        try {
            IMqttToken t = client.publish(settings.topic(Topics.STATUS), message(json(m), 1, true, "application/json", null, null));
            if (state != null) {
                t.waitForCompletion(2_000); // the goodbye must reach the broker before we disconnect
            }
        } catch (MqttException e) {
            LOG.warnf("status not published: %s", e.getMessage());
        }
    }

    private static byte[] json(Object m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + m + ": " + e.getMessage(), e);
        }
    }

    /** Says offline on {@code status}, disconnects and stops the thread. Unsent results stay in the journal. */
    @Override
    public void close() {
        stopThread();
        try {
            if (client.isConnected()) {
                publishStatus("offline");
                client.disconnect(2_000).waitForCompletion(3_000);
            }
        } catch (MqttException e) {
            LOG.debugf("MQTT disconnect: %s", e.toString());
        }
        closeClient();
    }

    private void stopThread() {
        running = false;
        thread.interrupt();
        try {
            thread.join(ACK_TIMEOUT_MS + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeClient() {
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debugf("MQTT close: %s", e.toString());
        }
    }

    /** Paho's callbacks run on its own thread: nothing here may block on a token. */
    private final class Callback implements MqttCallback {
        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
            LOG.infof("MQTT %s to %s", everConnected ? "reconnected" : "connected", serverUri);
            everConnected = true;
            publishStatus(null);
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            LOG.warnf("MQTT connection lost (%s); results wait in the journal", response.getReasonString() != null
                    ? response.getReasonString() : String.valueOf(response.getException()));
        }

        @Override
        public void mqttErrorOccurred(MqttException e) {
            LOG.warnf("MQTT error: %s", e.toString());
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            // this client subscribes to nothing
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }
}
