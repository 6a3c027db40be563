package dev.kensa.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.KensaConfig;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Every result goes into the crash-safe journal (with its heatmap) before anyone is told about it; the MQTT
 * publisher sends from the journal.
 */
@ApplicationScoped
public class ResultStore {
    private final ObjectMapper json = new ObjectMapper();
    private volatile ResultJournal journal;

    @Inject
    KensaConfig config;

    public synchronized ResultJournal journal() {
        if (journal == null) {
            journal = ResultJournal.open(config.journal().dir());
        }
        return journal;
    }

    /** Journals an inspection and returns its entry (with seq); the caller answers only after this returns. */
    public JournalEntry record(Inspection in, Inspector inspector) {
        try {
            byte[] heatmap = in.map() != null ? inspector.heatmapJpeg(in) : new byte[0];
            return journal().append(new JournalEntry(0, in.result().id(), in.result().verdict().name(),
                    json.writeValueAsBytes(in.result()), heatmap));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void onStop(@Observes ShutdownEvent e) {
        if (journal != null) {
            journal.close();
        }
    }
}
