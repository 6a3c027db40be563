package dev.kensa.publish;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.model.ModelEvent.ModelRef;

import java.util.Map;

/**
 * The retained MQTT {@code status} message (DESIGN §6), a projection of the daemon's one status
 * ({@code dev.kensa.daemon.Status}). {@code backend} and {@code model} are null while no model is active.
 *
 * @param uptimeS seconds since the daemon process started
 * @param sources each image source worker's state ({@code hotFolder}, {@code mqttInspect}), in words
 * @param drift   the score drift object (DESIGN §7), left out while there is none
 */
@JsonPropertyOrder({"state", "deviceId", "version", "backend", "gpu", "model", "uptimeS", "sources", "drift"})
public record StatusMessage(String state, String deviceId, String version, String backend, String gpu, ModelRef model,
                            long uptimeS, Map<String, Object> sources,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Object drift) {

    /** The same status saying {@code state} (e.g. the goodbye, offline) for {@code device}. */
    public StatusMessage as(String newState, String device) {
        return new StatusMessage(newState, device, version, backend, gpu, model, uptimeS, sources, drift);
    }

    /** The status with nothing but its state: the Last Will, and what is sent when the full status fails. */
    @JsonPropertyOrder({"state", "deviceId"})
    public record Bare(String state, String deviceId) {
    }
}
