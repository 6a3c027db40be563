package dev.kensa.http;

import dev.kensa.KensaConfig;
import dev.kensa.Version;
import dev.kensa.daemon.Counters;
import dev.kensa.daemon.DaemonState;
import dev.kensa.daemon.ModelService;
import dev.kensa.daemon.ResultStore;
import dev.kensa.journal.ResultJournal;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /api/v1/status}: one JSON for a field check (DESIGN §7). */
@Path("/api/v1/status")
public class StatusResource {
    @Inject
    ModelService models;
    @Inject
    ResultStore results;
    @Inject
    Counters counters;
    @Inject
    DaemonState daemon;
    @Inject
    KensaConfig config;
    @Inject
    dev.kensa.daemon.InspectionQueue queue;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> status() {
        dev.kensa.model.ModelManager.Loaded a = models.active();
        Map<String, Object> s = new LinkedHashMap<>();
        // a dead source worker (waiting to be restarted) degrades the box like a failed self-test
        s.put("state", a != null && a.selfTest().passed() && daemon.sourcesUp() ? "online" : "degraded");
        s.put("deviceId", config.deviceId());
        s.put("version", Version.VERSION);
        s.put("uptimeS", counters.uptimeSeconds());
        s.put("backend", a == null ? null : a.backend());
        s.put("route", a == null ? null : a.inspector().route());
        s.put("gpu", dev.kensa.gpu.GpuProbe.summary());
        s.put("gpuDetail", dev.kensa.gpu.GpuProbe.detail());
        if (a != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", a.bundle().id());
            m.put("name", a.bundle().manifest().name());
            m.put("sha256", a.bundle().sha256());
            m.put("method", a.bundle().method());
            m.put("created", a.bundle().manifest().created());
            m.put("threshold", a.inspector().threshold());
            m.put("thresholdSource", a.inspector().thresholdInForce().source());
            m.put("bundleThreshold", a.bundle().imageThreshold());
            m.put("calibration", a.bundle().pipeline().threshold().image().source());
            m.put("loadedAt", a.loadedAt().toString());
            m.put("loadSeconds", a.loadSeconds());
            m.put("selfTestPassed", a.selfTest().passed());
            s.put("model", m);
            // which limits the gates use: learned at the fit, or the floors only (a bundle without calibration.json)
            s.put("imageQuality", a.inspector().qualityGate().describe());
        } else {
            s.put("model", null);
            s.put("modelProblem", models.notReady()); // in words: why there is none and how to install one
        }
        s.put("queue", Map.of("waiting", queue.waiting(), "capacity", config.queueCapacity()));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("OK", counters.ok());
        c.put("NG", counters.ng());
        c.put("ERROR", counters.error());
        c.put("since", counters.since().toString()); // counters start with the process; the journal has the history
        s.put("counters", c);
        ResultJournal j = results.journal();
        s.put("journal", Map.of("lastSeq", j.lastSeq(), "publishedSeq", j.publishedSeq(), "backlog", j.backlog()));
        s.put("ngArchive", Map.of("count", results.archive().count(), "bytes", results.archive().bytes()));
        var p = daemon.publisher();
        Map<String, Object> mqtt = new LinkedHashMap<>();
        mqtt.put("configured", p != null);
        mqtt.put("connected", p != null && p.isConnected());
        mqtt.put("url", p != null ? p.serverUri() : null);
        mqtt.put("embedded", p != null && config.mqtt().url().isEmpty());
        var in = daemon.inspectSource();
        mqtt.put("inspectSubscribed", in != null && in.isSubscribed());
        mqtt.put("inspectHandled", in == null ? 0 : in.handled());
        s.put("mqtt", mqtt);
        var h = daemon.hotFolder();
        s.put("hotFolder", h == null ? null : Map.of("dir", config.hotFolder().dir().map(Object::toString).orElse(""),
                "processed", h.processed()));
        s.put("sources", daemon.sources()); // each source worker's state, in words
        return s;
    }
}
