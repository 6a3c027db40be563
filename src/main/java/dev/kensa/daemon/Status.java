package dev.kensa.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Map;

/**
 * The daemon's status, built once by {@link StatusService}: {@code GET /api/v1/status} (DESIGN §7) serves it whole,
 * the retained MQTT {@code status} message is its projection ({@link StatusService#message()}). Null fields are sent
 * as null, except the optional sections marked NON_NULL, which are left out while empty. New optional sections (e.g.
 * the score drift) go in as such nullable fields.
 *
 * @param modelProblem  why there is no model and how to install one, in words; only while there is none
 * @param imageQuality  which limits the image-quality gates use (issue 12); left out while nothing reports it
 * @param drift         the score drift object {state, statistic, window, since} (issue 12); left out while none
 */
@JsonPropertyOrder({"state", "deviceId", "version", "uptimeS", "backend", "route", "gpu", "gpuDetail", "model",
        "modelProblem", "imageQuality", "queue", "counters", "journal", "ngArchive", "mqtt", "hotFolder", "sources",
        "drift"})
public record Status(String state, String deviceId, String version, long uptimeS, String backend, String route,
                     String gpu, String gpuDetail, Model model,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String modelProblem,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Object imageQuality,
                     Queue queue, Counts counters, Journal journal, NgArchive ngArchive, Mqtt mqtt, HotFolder hotFolder,
                     Map<String, Object> sources,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Object drift) {

    /** The active model; {@code threshold} is the one in force, {@code bundleThreshold} the bundle's own. */
    @JsonPropertyOrder({"id", "name", "sha256", "method", "created", "threshold", "thresholdSource", "bundleThreshold",
            "calibration", "loadedAt", "loadSeconds", "selfTestPassed"})
    public record Model(String id, String name, String sha256, String method, String created, double threshold,
                        String thresholdSource, double bundleThreshold, String calibration, String loadedAt,
                        double loadSeconds, boolean selfTestPassed) {
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
}
