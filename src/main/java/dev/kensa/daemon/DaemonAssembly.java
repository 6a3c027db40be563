package dev.kensa.daemon;

import dev.kensa.KensaConfig;
import dev.kensa.KensaException;
import dev.kensa.gpu.Backends;
import dev.kensa.mqtt.EmbeddedBroker;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.mqtt.MqttSettings;
import dev.kensa.publish.ResultPublisher;
import dev.kensa.source.HotFolder;
import dev.kensa.source.MqttInspectSource;
import dev.kensa.source.Source;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The daemon, assembled in one place from {@link KensaConfig} (../shared/DESIGN.md §10): {@link #start} builds and
 * starts its parts in order (the embedded broker when no broker is configured, the model, the one MQTT connection,
 * the results publisher, the image sources), keeps them for the status API and health, and stops them in order at
 * shutdown: the sources first (no new images), then the publisher (its offline goodbye while the broker is still
 * there), the MQTT connection, the embedded broker; the model and the journal close after all of them (their
 * observers have later priorities). A new source (a camera) is one more entry in {@link #sources()}: the status,
 * readiness ({@link SourceStarted}) and shutdown go over the list.
 */
@ApplicationScoped
public class DaemonAssembly {
    private static final Logger LOG = Logger.getLogger(DaemonAssembly.class);

    /**
     * What {@code kensa serve} was told on its command line.
     *
     * @param model   a bundle to install and serve now, replacing the store's active one; null: the store's active
     *                model, else {@code kensa.model.dir}, else none
     * @param backend null: {@code kensa.backend}
     */
    public record Options(Path model, Backends.Mode backend) {
    }

    /**
     * Fired before the daemon builds anything: an observer refuses a bad setting of its own by throwing (the API
     * token file), so the daemon stops before any broker, model or source comes up.
     */
    public record Starting() {
    }

    /** Fired when a configured source has started (its readiness check joins then). */
    public record SourceStarted(Source source) {
    }

    @Inject
    KensaConfig config;
    @Inject
    ModelService models;
    @Inject
    ResultStore results;
    @Inject
    InspectionQueue queue;
    @Inject
    StatusService status;
    @Inject
    Event<Starting> starting;
    @Inject
    Event<SourceStarted> sourceStarted;

    private volatile EmbeddedBroker broker;
    private volatile MqttConnection mqtt;
    private volatile ResultPublisher publisher;
    private volatile HotFolder hotFolder;
    private volatile MqttInspectSource inspectSource;
    private final List<Source> sources = new CopyOnWriteArrayList<>();

    /**
     * Checks the settings that refuse a start, then builds and starts the daemon's parts. Parts built before a
     * failure are stopped at shutdown like the others.
     */
    public void start(Options options) throws IOException {
        Backends.Mode backend = options.backend() != null ? options.backend() : config.backend();
        // before anything listens or loads: a box told to use TensorRT without a usable GPU stops here, saying why
        Backends.choose(backend);
        if (config.drift().window() < 1) {
            throw new KensaException("kensa.drift.window must be at least 1, got " + config.drift().window());
        }
        starting.fire(new Starting()); // e.g. a bad token file refuses the start here
        long maxImageBytes = config.api().maxImageBytes();

        // the embedded broker comes up before the model, so a ready daemon already has its broker
        Optional<String> url = config.mqtt().url();
        if (url.isEmpty() && config.mqtt().embedded()) {
            broker = EmbeddedBroker.start(config.mqtt().embeddedPort(), config.mqtt().embeddedDir());
            url = Optional.of(broker.uri());
        }
        Path bundle = options.model() != null ? options.model() : config.model().dir().orElse(null);
        models.start(bundle, options.model() != null, backend);

        if (url.isPresent()) {
            KensaConfig.Mqtt m = config.mqtt();
            MqttSettings settings = MqttSettings.of(url.get(), config.deviceId()).withHeatmapQos(m.heatmapQos())
                    .withMaximumPacketSize(MqttInspectSource.maximumPacketSize(maxImageBytes));
            if (m.username().isPresent()) {
                settings = settings.withCredentials(m.username().get(), m.password().orElse(null));
            }
            if (m.caFile().isPresent()) {
                settings = settings.withCaFile(m.caFile().get());
            }
            mqtt = new MqttConnection(settings);
            publisher = new ResultPublisher(mqtt, results.journal(), status::message);
            publisher.start();
            models.manager().events(publisher::publishModelEvent); // replays the start-up load event
        }

        // the sources, in the order the status lists them
        if (config.hotFolder().dir().isPresent()) {
            KensaConfig.HotFolderConfig hc = config.hotFolder();
            hotFolder = new HotFolder(hc.dir().get(), (input, bytes) -> queue.inspectWaiting(input, bytes).entry().verdict(),
                    new HotFolder.Settings(hc.pollMillis(), hc.settleMillis(), maxImageBytes,
                            HotFolder.Settings.partIdPattern(hc.partIdPattern())), this::statusChanged);
            started(hotFolder.start());
        }
        if (mqtt != null && config.mqtt().inspect()) {
            inspectSource = new MqttInspectSource(mqtt, (input, image) -> queue.inspectWaiting(input, image).entry().json(),
                    maxImageBytes, this::statusChanged);
            started(inspectSource.start());
        }
        if (mqtt != null) {
            // last, so the first retained status already names the sources and the inspect subscription is made on
            // the first connection
            mqtt.start();
        }
    }

    private void started(Source s) {
        sources.add(s);
        sourceStarted.fire(new SourceStarted(s));
    }

    /** The configured sources, in the order they were built (the status's {@code sources} order). */
    public List<Source> sources() {
        return List.copyOf(sources);
    }

    /** Each configured source's status by its id, for {@code /api/v1/status} and the MQTT status. */
    public Map<String, Source.Status> sourceStatus() {
        Map<String, Source.Status> m = new LinkedHashMap<>();
        for (Source s : sources) {
            m.put(s.id(), s.status());
        }
        return m;
    }

    /** False while a configured source's worker is down (waiting to be restarted). */
    public boolean sourcesUp() {
        return sources.stream().allMatch(s -> s.status().up());
    }

    /** Null without a broker. */
    public MqttConnection mqtt() {
        return mqtt;
    }

    /** Null without a broker. */
    public ResultPublisher publisher() {
        return publisher;
    }

    /** Null when no hot folder is configured. */
    public HotFolder hotFolder() {
        return hotFolder;
    }

    /** Null when the MQTT inspect source is not configured. */
    public MqttInspectSource inspectSource() {
        return inspectSource;
    }

    /** Whether the broker is the embedded one. */
    public boolean embeddedBroker() {
        return broker != null;
    }

    /** Something the retained MQTT status reports changed (a source went down or came back, the drift state). */
    public void statusChanged() {
        ResultPublisher p = publisher;
        if (p != null) {
            p.refreshStatus();
        }
    }

    void onStop(@Observes @Priority(1000) ShutdownEvent e) {
        List<Source> stopping = new ArrayList<>(sources);
        java.util.Collections.reverse(stopping);
        for (Source s : stopping) {
            try {
                s.close();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException ex) {
                LOG.warnf("source %s did not stop cleanly: %s", s.id(), ex.toString());
            }
        }
        if (publisher != null) {
            publisher.close();
        }
        if (mqtt != null) {
            mqtt.close();
        }
        if (broker != null) {
            broker.close();
        }
        LOG.debug("daemon parts stopped");
    }
}
