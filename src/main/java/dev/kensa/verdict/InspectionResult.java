package dev.kensa.verdict;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * The result of one inspection, exactly the JSON of ../shared/DESIGN.md §6:
 * {@code {id, ts, source, verdict, score, normalizedScore, threshold, model {id, sha256}, regions [...],
 * timingsMs {decode, backbone, score, post, total}, error?}}, plus {@code thresholdSource}: {@code "bundle"} when the
 * verdict used the bundle's calibrated threshold, {@code "override"} when an engineer's override was in force
 * (PUT /api/v1/model/threshold), and {@code partId}: the serial or part id the line sent with the image (HTTP
 * {@code X-Part-Id} or {@code ?partId=}, the hot-folder file name, MQTT user property {@code partId}), absent when
 * none was given. Scores are null on ERROR.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "ts", "source", "partId", "verdict", "score", "normalizedScore", "threshold", "thresholdSource", "model", "regions",
        "timingsMs", "error"})
public record InspectionResult(String id, String ts, String source, String partId, Verdict verdict, Double score,
                               Double normalizedScore, Double threshold, String thresholdSource, ModelRef model, List<Region> regions,
                               Timings timingsMs, String error) {

    /** A result without a part id (the source gave none). */
    public InspectionResult(String id, String ts, String source, Verdict verdict, Double score, Double normalizedScore,
                            Double threshold, String thresholdSource, ModelRef model, List<Region> regions,
                            Timings timingsMs, String error) {
        this(id, ts, source, null, verdict, score, normalizedScore, threshold, thresholdSource, model, regions,
                timingsMs, error);
    }

    public InspectionResult withPartId(String part) {
        return new InspectionResult(id, ts, source, part, verdict, score, normalizedScore, threshold, thresholdSource,
                model, regions, timingsMs, error);
    }

    public record ModelRef(String id, String sha256) {
    }

    /** A defect region in original-image pixels; area counts original pixels, maxScore is the raw map maximum. */
    public record Region(int x, int y, int w, int h, int area, double maxScore) {
    }

    public record Timings(double decode, double backbone, double score, double post, double total) {
    }

    /** Where the threshold of a verdict came from. */
    public static final String THRESHOLD_BUNDLE = "bundle";
    public static final String THRESHOLD_OVERRIDE = "override";

    public static InspectionResult error(String id, String ts, String source, ModelRef model, Double threshold,
                                         String thresholdSource, Timings timings, String error) {
        return new InspectionResult(id, ts, source, null, Verdict.ERROR, null, null, threshold, thresholdSource, model,
                List.of(), timings, error);
    }
}
