package dev.kensa.source;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.Map;

/**
 * An image source of the daemon (../shared/DESIGN.md §3, §10): the hot folder, the MQTT inspect topic, later cameras.
 * The daemon's assembly keeps its sources as these, so the status ({@code sources}), readiness (one check per
 * configured source, named by {@link #id()}) and shutdown go over them without knowing each kind.
 */
public interface Source extends AutoCloseable {
    /** Its key in the status's {@code sources} and the name of its readiness check, e.g. {@code hotFolder}. */
    String id();

    /** Its worker's state and its own counts, for {@code /api/v1/status} and the MQTT status. */
    Status status();

    /** What its readiness check adds to the worker's state, in order (e.g. the folder and the files processed). */
    Map<String, Object> readinessData();

    /** Stops taking images; what was taken is finished or left for the next start, never lost. */
    @Override
    void close() throws InterruptedException;

    /**
     * A source's status: its worker's fields ({@link SourceWorker.Status}: state, words, restarts, lastFailure,
     * lastFailureAt) and after them the source's own. Implementations are records whose first component is the
     * worker's status, unwrapped into the JSON.
     */
    interface Status {
        SourceWorker.Status worker();

        /** False while the source's worker is dead and waiting to be restarted. */
        @JsonIgnore
        default boolean up() {
            return worker().up();
        }
    }
}
