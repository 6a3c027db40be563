package dev.kensa.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.model.ModelEvent.ModelRef;
import dev.kensa.publish.RetainedStatus;
import dev.kensa.source.Source;

import java.util.Map;

/**
 * The retained MQTT {@code status} message (../shared/DESIGN.md §6), a projection of the daemon's one {@link Status}
 * ({@link StatusService#message()}). {@code backend} and {@code model} are null while no model is active.
 *
 * @param uptimeS seconds since the daemon process started
 * @param sources each configured image source's status by its id ({@code hotFolder}, {@code mqttInspect})
 * @param drift   the score drift, left out while there is none
 */
@JsonPropertyOrder({"state", "deviceId", "version", "backend", "gpu", "model", "uptimeS", "sources", "drift"})
public record StatusMessage(String state, String deviceId, String version, String backend, String gpu, ModelRef model,
                            long uptimeS, Map<String, Source.Status> sources,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Status.Drift drift) implements RetainedStatus {

    /** The same status saying {@code newState} (e.g. the goodbye, offline). */
    @Override
    public StatusMessage saying(String newState) {
        return new StatusMessage(newState, deviceId, version, backend, gpu, model, uptimeS, sources, drift);
    }
}
