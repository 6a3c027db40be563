package dev.kensa.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.KensaConfig;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.NgArchive;
import dev.kensa.journal.ResultJournal;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.verdict.InspectionResult;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Every result goes into the crash-safe journal (with its heatmap) before anyone is told about it; the MQTT
 * publisher sends from the journal. NG results are also archived with their images for review, and the heatmaps of
 * the latest results of every verdict are kept in memory for the live feed (the list itself is read from the journal).
 */
@ApplicationScoped
public class ResultStore {
    /** A recent result with its heatmap, for the live feed. */
    public record Recent(long seq, InspectionResult result, byte[] heatmap) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final Deque<Recent> recent = new ArrayDeque<>();
    private volatile ResultJournal journal;
    private volatile NgArchive archive;

    @Inject
    KensaConfig config;

    @Inject
    Counters counters;

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    @io.quarkus.runtime.Startup
    void registerGauges() {
        io.micrometer.core.instrument.Gauge.builder("kensa.journal.backlog", this, s -> s.journal().backlog())
                .description("results journalled but not yet acknowledged by the MQTT broker").register(meters);
        io.micrometer.core.instrument.Gauge.builder("kensa.ng.archive.items", this, s -> s.archive().count())
                .description("NG parts kept for review").register(meters);
        // every check's series from the start, at 0: a dashboard sees "no camera faults", not "no data"
        for (dev.kensa.quality.QualityGate.Check c : dev.kensa.quality.QualityGate.Check.values()) {
            qualityFailures(c);
        }
    }

    private io.micrometer.core.instrument.Counter qualityFailures(dev.kensa.quality.QualityGate.Check c) {
        return io.micrometer.core.instrument.Counter.builder("kensa.image.quality.failures").tag("check", c.id())
                .description("images refused by an image-quality gate (ERROR results), by check").register(meters);
    }

    public synchronized ResultJournal journal() {
        if (journal == null) {
            journal = ResultJournal.open(config.journal().dir(), ResultJournal.DEFAULT_SEGMENT_BYTES,
                    config.journal().retainBytes());
        }
        return journal;
    }

    public synchronized NgArchive archive() {
        if (archive == null) {
            archive = new NgArchive(config.ng().dir(), config.ng().maxCount(), config.ng().maxBytes());
        }
        return archive;
    }

    /**
     * Journals an inspection (then archives it if NG) and returns its entry; the caller answers only after this.
     *
     * @param image the original image bytes, kept for NG parts
     */
    public JournalEntry record(Inspection in, Inspector inspector, byte[] image) {
        byte[] heatmap = in.map() != null ? inspector.heatmapJpeg(in) : new byte[0];
        JournalEntry e;
        try {
            e = journal().append(new JournalEntry(0, in.result().id(), in.result().verdict(),
                    json.writeValueAsBytes(in.result()), heatmap));
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        if (e.verdict() == dev.kensa.verdict.Verdict.NG) {
            archive().add(e, image);
        }
        counters.count(e.verdict());
        meters.counter("kensa.inspections", "verdict", e.verdict().name()).increment();
        if (in.qualityFailure() != null) {
            qualityFailures(in.qualityFailure()).increment();
        }
        InspectionResult.Timings t = in.result().timingsMs();
        if (t != null) {
            stage("decode", t.decode());
            stage("backbone", t.backbone());
            stage("score", t.score());
            stage("post", t.post());
            stage("total", t.total());
        }
        synchronized (recent) {
            recent.addFirst(new Recent(e.seq(), in.result(), heatmap));
            while (recent.size() > Math.max(1, config.recentResults())) {
                recent.removeLast();
            }
        }
        return e;
    }

    private void stage(String name, double ms) {
        stageTimers.computeIfAbsent(name, n -> io.micrometer.core.instrument.Timer.builder("kensa.stage").tag("stage", n)
                        .description("per-stage inspection latency").publishPercentileHistogram().register(meters))
                .record(java.time.Duration.ofNanos((long) (ms * 1e6)));
    }

    /** One timer per stage, registered on first use (not a builder and a registry lookup per result). */
    private final java.util.Map<String, io.micrometer.core.instrument.Timer> stageTimers =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The heatmap of a recent result, or null (without copying the recent list). */
    public byte[] recentHeatmap(String id) {
        synchronized (recent) {
            for (Recent r : recent) {
                if (r.result().id().equals(id)) {
                    return r.heatmap();
                }
            }
        }
        return null;
    }

    /** After {@link DaemonAssembly} stopped the sources, the publisher and the MQTT connection (priority 1000). */
    void onStop(@Observes @jakarta.annotation.Priority(2000) ShutdownEvent e) {
        if (journal != null) {
            journal.close();
        }
    }
}
