package dev.kensa.mqtt;

/**
 * The MQTT topics of ../shared/DESIGN.md §6, below the prefix {@code kensa/<deviceId>/}, and what travels on each:
 * the daemon's status message (its Last Will {@link BareStatus}), the result JSON
 * ({@link dev.kensa.verdict.InspectionResult}), heatmap JPEG bytes, image bytes in, and
 * {@link dev.kensa.model.ModelEvent}.
 */
public final class Topics {
    /** Out, QoS 1, retained. */
    public static final String STATUS = "status";
    /** Out, QoS 1: one result JSON per inspection, from the journal. */
    public static final String RESULT = "result";
    /** Out, QoS 0 or 1: JPEG bytes; correlation data and user property {@code id} = result id. */
    public static final String HEATMAP = "heatmap";
    /** In, QoS 1: image bytes; answered on the request's response topic when it has one. */
    public static final String INSPECT = "inspect";
    /** Out, QoS 1: load, swap, rollback, refusal, threshold change. */
    public static final String MODEL_EVENT = "model/event";

    private Topics() {
    }

    /** {@code kensa/<deviceId>/}: the prefix when none is configured. */
    public static String defaultPrefix(String deviceId) {
        return "kensa/" + deviceId + "/";
    }
}
