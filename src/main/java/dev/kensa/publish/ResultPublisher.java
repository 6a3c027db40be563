package dev.kensa.publish;

import dev.kensa.journal.JournalEntry;
import dev.kensa.model.ModelEvent;
import dev.kensa.journal.ResultJournal;
import dev.kensa.mqtt.Backoff;
import dev.kensa.mqtt.BareStatus;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.mqtt.MqttSettings;
import dev.kensa.mqtt.Topics;
import org.eclipse.paho.mqttv5.client.IMqttToken;
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
 * Publishes the results journal to MQTT (../shared/DESIGN.md §6), over the daemon's one {@link MqttConnection}. One
 * thread, {@code kensa-publisher}, walks the journal from the durable published cursor, strictly in order, and moves
 * the cursor only after the broker acknowledged an entry's messages; so a broker outage or a restart delays results
 * but never loses or reorders them, and an entry is sent twice only when an acknowledgement was lost (what QoS 1
 * allows).
 *
 * <p>While the broker is unreachable the connection reconnects and this thread waits for it; a send that fails is
 * retried, backing off from 200 ms to 5 s. On every (re)connection the publisher announces the box on the retained
 * {@code status} topic; the connection's Last Will turns that to offline when the appliance vanishes without saying
 * goodbye ({@link #close()} says it).
 */
public final class ResultPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ResultPublisher.class);
    /** How long one entry's acknowledgements may take before the entry counts as failed and is sent again. */
    private static final long ACK_TIMEOUT_MS = 10_000;
    private static final long IDLE_WAIT_MS = 500;
    private static final int BATCH = 64;

    private final MqttConnection mqtt;
    private final MqttSettings settings;
    private final ResultJournal journal;
    private final Supplier<? extends RetainedStatus> status;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean running;

    /**
     * @param status gives the retained status message; called on every (re)connection, on the connection's thread
     */
    public ResultPublisher(MqttConnection mqtt, ResultJournal journal, Supplier<? extends RetainedStatus> status) {
        this.mqtt = mqtt;
        this.settings = mqtt.settings();
        this.journal = journal;
        this.status = status;
        mqtt.addListener(new MqttConnection.Listener() {
            @Override
            public void connected(boolean reconnect) {
                publishStatus(null);
            }

            @Override
            public void lost(String reason) {
                LOG.warnf("MQTT connection lost (%s); results wait in the journal", reason);
            }
        });
        this.thread = new Thread(this::run, "kensa-publisher");
        thread.setDaemon(true);
    }

    /** Starts the publisher thread, which drains the journal whenever the connection is up. */
    public void start() {
        running = true;
        thread.start();
    }

    /** The broker this publisher sends to. */
    public String serverUri() {
        return mqtt.serverUri();
    }

    public boolean isConnected() {
        return mqtt.isConnected();
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
            mqtt.publish(settings.topic(Topics.MODEL_EVENT), message(MqttConnection.json(e), 1, false, "application/json", null, null))
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
        Backoff backoff = new Backoff();
        while (running) {
            try {
                if (!mqtt.isConnected()) {
                    mqtt.awaitConnected(IDLE_WAIT_MS); // the connection reconnects; results wait in the journal
                    continue;
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
                if (backoff.succeeded()) {
                    LOG.infof("publishing results again, journal backlog %d", journal.backlog());
                }
            } catch (InterruptedException e) {
                break;
            } catch (MqttException | RuntimeException e) {
                // close() interrupts a wait, which Paho reports as an MqttException
                if (!running || !backoff.retry(LOG, "MQTT publishing stalled at result seq " + next
                        + ", retrying (nothing is skipped): " + e)) {
                    break;
                }
            }
        }
        LOG.debugf("publisher thread stopped at seq %d", next);
    }

    /** Sends one entry and waits for its acknowledgements; throws when any is missing, so it is sent again. */
    private void send(JournalEntry e) throws MqttException {
        byte[] id = e.id().getBytes(StandardCharsets.UTF_8);
        IMqttToken result = mqtt.publish(settings.topic(Topics.RESULT),
                message(e.json(), 1, false, "application/json", e.id(), null));
        IMqttToken heatmap = null;
        if (e.heatmap().length > 0) {
            heatmap = mqtt.publish(settings.topic(Topics.HEATMAP),
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
            RetainedStatus s = status.get();
            m = s.saying(state != null ? state : s.state() != null ? s.state() : "online");
        } catch (RuntimeException e) {
            LOG.warnf("status supplier failed, publishing a bare status: %s", e.toString());
            m = new BareStatus(state != null ? state : "online", settings.deviceId());
        }
        try {
            IMqttToken t = mqtt.publish(settings.topic(Topics.STATUS), message(MqttConnection.json(m), 1, true, "application/json", null, null));
            if (state != null) {
                t.waitForCompletion(2_000); // the goodbye must reach the broker before the connection closes
            }
        } catch (MqttException e) {
            LOG.warnf("status not published: %s", e.getMessage());
        }
    }

    /**
     * Says offline on {@code status} (the goodbye, so the Last Will is not needed) and stops the thread. Unsent results
     * stay in the journal. The connection stays open: its owner closes it after this.
     */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(ACK_TIMEOUT_MS + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (mqtt.isConnected()) {
            publishStatus("offline");
        }
    }
}
