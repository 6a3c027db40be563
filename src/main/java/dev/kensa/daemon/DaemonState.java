package dev.kensa.daemon;

import dev.kensa.publish.EmbeddedBroker;
import dev.kensa.publish.ResultPublisher;
import dev.kensa.source.HotFolder;
import dev.kensa.source.MqttInspectSource;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * The parts of the running daemon that {@code kensa serve} starts, for the status API and for an orderly stop:
 * sources first (no new images), then the publisher (offline status while the broker is still up), then the
 * embedded broker; the journal closes after all of them (its observer has a later priority).
 */
@ApplicationScoped
public class DaemonState {
    private static final Logger LOG = Logger.getLogger(DaemonState.class);

    private volatile ResultPublisher publisher;
    private volatile HotFolder hotFolder;
    private volatile MqttInspectSource inspectSource;
    private volatile EmbeddedBroker broker;

    public ResultPublisher publisher() {
        return publisher;
    }

    public void publisher(ResultPublisher p) {
        this.publisher = p;
    }

    public HotFolder hotFolder() {
        return hotFolder;
    }

    public void hotFolder(HotFolder h) {
        this.hotFolder = h;
    }

    public MqttInspectSource inspectSource() {
        return inspectSource;
    }

    public void inspectSource(MqttInspectSource s) {
        this.inspectSource = s;
    }

    public void broker(EmbeddedBroker b) {
        this.broker = b;
    }

    /**
     * The image sources' workers, for {@code /api/v1/status} and the MQTT status: {@code hotFolder} and
     * {@code mqttInspect} (when configured), each {@code {state: running|down|stopped, words, restarts,
     * lastFailure, lastFailureAt}}.
     */
    public java.util.Map<String, Object> sources() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        HotFolder h = hotFolder;
        if (h != null) {
            java.util.Map<String, Object> s = h.status().toMap();
            s.put("processed", h.processed());
            m.put("hotFolder", s);
        }
        MqttInspectSource in = inspectSource;
        if (in != null) {
            java.util.Map<String, Object> s = in.status().toMap();
            s.put("subscribed", in.isSubscribed());
            s.put("handled", in.handled());
            m.put("mqttInspect", s);
        }
        return m;
    }

    /** False while a configured source's worker is down (waiting to be restarted). */
    public boolean sourcesUp() {
        HotFolder h = hotFolder;
        MqttInspectSource in = inspectSource;
        return (h == null || h.status().up()) && (in == null || in.status().up());
    }

    /** A source went down or came back: the retained MQTT status says so at once. */
    public void sourceStateChanged() {
        ResultPublisher p = publisher;
        if (p != null) {
            p.refreshStatus();
        }
    }

    void onStop(@Observes @Priority(1000) ShutdownEvent e) {
        try {
            if (hotFolder != null) {
                hotFolder.close();
            }
            if (inspectSource != null) {
                inspectSource.close();
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (broker != null) {
            broker.close();
        }
        LOG.debug("daemon parts stopped");
    }
}
