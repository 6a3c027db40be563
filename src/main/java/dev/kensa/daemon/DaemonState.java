package dev.kensa.daemon;

import dev.kensa.publish.ResultPublisher;
import dev.kensa.source.HotFolder;
import jakarta.enterprise.context.ApplicationScoped;

/** The parts of the running daemon that {@code kensa serve} starts and the status API reports on. */
@ApplicationScoped
public class DaemonState {
    private volatile ResultPublisher publisher;
    private volatile HotFolder hotFolder;
    private volatile dev.kensa.source.MqttInspectSource inspectSource;

    public dev.kensa.source.MqttInspectSource inspectSource() {
        return inspectSource;
    }

    public void inspectSource(dev.kensa.source.MqttInspectSource s) {
        this.inspectSource = s;
    }

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
}
