package dev.kensa.model;

import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where model events go: the store's audit log (durable, first) and the event sink (MQTT {@code model/event}). Events
 * that happen before a sink is set (the start-up load) wait, at most {@link #MAX_UNSENT}, and are replayed to it.
 */
final class ModelEventLog {
    private static final Logger LOG = Logger.getLogger(ModelEventLog.class);
    private static final int MAX_UNSENT = 100;

    private final ModelStore store;
    private final List<ModelEvent> unsent = new ArrayList<>();
    private Consumer<ModelEvent> sink; // guarded by unsent

    ModelEventLog(ModelStore store) {
        this.store = store;
    }

    /** Sets the sink and replays the events it missed. */
    void sink(Consumer<ModelEvent> s) {
        List<ModelEvent> pending;
        synchronized (unsent) {
            sink = s;
            pending = new ArrayList<>(unsent);
            unsent.clear();
        }
        pending.forEach(s);
    }

    /** Audits, then sends; an audit log that cannot be written is an error (thrown) and nothing is sent. */
    void record(ModelEvent e) {
        store.audit(e);
        send(e);
    }

    /** As {@link #record}, for events that report a failure already: an audit failure is logged, not thrown. */
    void recordQuietly(ModelEvent e) {
        try {
            store.audit(e);
        } catch (RuntimeException auditFailed) {
            LOG.errorf("audit log: %s", auditFailed.getMessage());
        }
        send(e);
    }

    private void send(ModelEvent event) {
        Consumer<ModelEvent> s;
        synchronized (unsent) {
            s = sink;
            if (s == null) {
                unsent.add(event); // no MQTT (yet): the audit log has them all, keep the latest for MQTT
                if (unsent.size() > MAX_UNSENT) {
                    unsent.remove(0);
                }
                return;
            }
        }
        try {
            s.accept(event);
        } catch (RuntimeException e) {
            LOG.warnf("model event not sent: %s", e.toString());
        }
    }
}
