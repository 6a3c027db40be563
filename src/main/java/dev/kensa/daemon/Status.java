package dev.kensa.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.model.ModelManager;
import dev.kensa.quality.QualityGate;
import dev.kensa.source.Source;

import java.util.Map;

/**
 * The daemon's status, built once by {@link StatusService}: {@code GET /api/v1/status} (../shared/DESIGN.md §7)
 * serves it whole, the retained MQTT {@code status} message is its projection ({@link StatusMessage}). Null fields
 * are sent as null, except the optional sections marked NON_NULL, which are left out while empty. The field names
 * and their order are a contract (ServeMqttIT pins them).
 *
 * @param modelProblem why there is no model and how to install one, in words; only while there is none
 * @param imageQuality which limits the image-quality gates use; left out while no model is active
 * @param hotFolder    the hot folder's directory and count; null when none is configured
 * @param sources      each configured source's status by its id ({@code hotFolder}, {@code mqttInspect}), in the
 *                     order the daemon built them
 * @param drift        the score drift against the active model's calibration scores; left out while none
 */
@JsonPropertyOrder({"state", "deviceId", "version", "uptimeS", "backend", "route", "gpu", "gpuDetail", "model",
        "modelProblem", "imageQuality", "queue", "counters", "journal", "ngArchive", "mqtt", "hotFolder", "sources",
        "drift"})
public record Status(String state, String deviceId, String version, long uptimeS, String backend, String route,
                     String gpu, String gpuDetail, Model model,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String modelProblem,
                     @JsonInclude(JsonInclude.Include.NON_NULL) QualityGate.Description imageQuality,
                     Queue queue, Counts counters, Journal journal, NgArchive ngArchive, Mqtt mqtt, HotFolder hotFolder,
                     Map<String, Source.Status> sources,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Drift drift) {

    /** The active model; {@code threshold} is the one in force, {@code bundleThreshold} the bundle's own. */
    @JsonPropertyOrder({"id", "name", "sha256", "method", "created", "threshold", "thresholdSource", "bundleThreshold",
            "calibration", "loadedAt", "loadSeconds", "selfTestPassed"})
    public record Model(String id, String name, String sha256, String method, String created, double threshold,
                        String thresholdSource, double bundleThreshold, String calibration, String loadedAt,
                        double loadSeconds, boolean selfTestPassed) {

        /** The active model {@code a}, described as the model API describes it ({@link ModelSummary}). */
        public static Model of(ModelManager.Loaded a) {
            ModelSummary s = ModelSummary.of(a);
            return new Model(s.id(), s.name(), s.sha256(), s.method(), s.created(), s.threshold(), s.thresholdSource(),
                    s.bundleThreshold(), s.calibration(), a.loadedAt().toString(), a.loadSeconds(), a.selfTest().passed());
        }
    }

    @JsonPropertyOrder({"waiting", "capacity"})
    public record Queue(int waiting, int capacity) {
    }

    /** Inspections by verdict since {@code since} (the process start; the journal has the history). */
    @JsonPropertyOrder({"OK", "NG", "ERROR", "since"})
    public record Counts(@JsonProperty("OK") long ok, @JsonProperty("NG") long ng,
                         @JsonProperty("ERROR") long error, String since) {
    }

    @JsonPropertyOrder({"lastSeq", "publishedSeq", "backlog"})
    public record Journal(long lastSeq, long publishedSeq, long backlog) {
    }

    @JsonPropertyOrder({"count", "bytes"})
    public record NgArchive(long count, long bytes) {
    }

    @JsonPropertyOrder({"configured", "connected", "url", "embedded", "inspectSubscribed", "inspectHandled"})
    public record Mqtt(boolean configured, boolean connected, String url, boolean embedded, boolean inspectSubscribed,
                       long inspectHandled) {
    }

    @JsonPropertyOrder({"dir", "processed"})
    public record HotFolder(String dir, long processed) {
    }

    /**
     * The score drift (../shared/DESIGN.md §7), from {@link DriftWatch}: {@code state} (ok, warning,
     * insufficient-data), {@code statistic} (null while insufficient-data), {@code window} (scores in it),
     * {@code capacity} (the window's size), {@code since} (when the state began), {@code medianRatio} (window median
     * over the calibration median), {@code reason} (insufficient-data only, else left out).
     */
    @JsonPropertyOrder({"state", "statistic", "window", "capacity", "since", "medianRatio", "reason"})
    public record Drift(String state, Double statistic, int window, int capacity, String since, Double medianRatio,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String reason) {
    }
}
