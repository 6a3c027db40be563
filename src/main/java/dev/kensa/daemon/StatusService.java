package dev.kensa.daemon;

import dev.kensa.KensaConfig;
import dev.kensa.Version;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.journal.ResultJournal;
import dev.kensa.model.ModelEvent;
import dev.kensa.model.ModelManager;
import dev.kensa.mqtt.MqttConnection;
import dev.kensa.source.HotFolder;
import dev.kensa.source.MqttInspectSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Builds the daemon's one {@link Status}: {@code GET /api/v1/status} serves it, the retained MQTT status is
 * {@link #message()}, its projection. Uptime is the process's ({@link Counters#uptimeSeconds()}).
 */
@ApplicationScoped
public class StatusService {
    @Inject
    ModelService models;
    @Inject
    ResultStore results;
    @Inject
    Counters counters;
    @Inject
    DaemonAssembly daemon;
    @Inject
    KensaConfig config;
    @Inject
    InspectionQueue queue;
    @Inject
    DriftWatch drift;

    public Status snapshot() {
        ModelManager.Loaded a = models.active();
        // a dead source worker (waiting to be restarted) degrades the box like a failed self-test
        String state = a != null && a.selfTest().passed() && daemon.sourcesUp() ? "online" : "degraded";
        ResultJournal j = results.journal();
        MqttConnection mqtt = daemon.mqtt();
        MqttInspectSource in = daemon.inspectSource();
        HotFolder h = daemon.hotFolder();
        return new Status(state, config.deviceId(), Version.VERSION, counters.uptimeSeconds(),
                a == null ? null : a.backend(), a == null ? null : a.inspector().route(),
                GpuProbe.summary(), GpuProbe.detail(), a == null ? null : Status.Model.of(a),
                a == null ? models.notReady() : null, // in words: why there is none and how to install one
                // which limits the gates use: learned at the fit, or the floors only (a bundle without calibration.json)
                a == null ? null : a.inspector().qualityGate().describe(),
                new Status.Queue(queue.waiting(), config.queueCapacity()),
                // counters start with the process; the journal has the history
                new Status.Counts(counters.ok(), counters.ng(), counters.error(), counters.since().toString()),
                new Status.Journal(j.lastSeq(), j.publishedSeq(), j.backlog()),
                new Status.NgArchive(results.archive().count(), results.archive().bytes()),
                new Status.Mqtt(mqtt != null, mqtt != null && mqtt.isConnected(), mqtt != null ? mqtt.serverUri() : null,
                        mqtt != null && daemon.embeddedBroker(), in != null && in.isSubscribed(),
                        in == null ? 0 : in.handled()),
                h == null ? null : new Status.HotFolder(h.dir().toString(), h.processed()),
                daemon.sourceStatus(), // each source's worker state, in words, and its counts
                drift.status()); // scores against the model's calibration scores; never changes a verdict
    }

    /** The retained MQTT {@code status} message (../shared/DESIGN.md §6): the status's fields a line's systems watch. */
    public StatusMessage message() {
        Status s = snapshot();
        Status.Model m = s.model();
        return new StatusMessage(s.state(), s.deviceId(), s.version(), s.backend(), s.gpu(),
                m == null ? null : new ModelEvent.ModelRef(m.id(), m.name(), m.sha256(), m.method()),
                s.uptimeS(), s.sources(), s.drift());
    }
}
