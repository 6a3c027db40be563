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
