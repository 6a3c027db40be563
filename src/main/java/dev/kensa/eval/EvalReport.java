package dev.kensa.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * What {@code kensa eval --json} writes. The first fields are the contract of the core issue; the rest help an
 * engineer judge the bundle's fixed threshold on the test set.
 *
 * @param pixelAuroc       null when the dataset has no masks (pixel metrics unavailable)
 * @param timingsMs        per-stage inference means over the test images: decode, backbone, score, post, total
 * @param thresholdFpr     share of test goods the bundle's threshold rejects
 * @param thresholdTpr     share of test defects it catches
 * @param errors           test images that could not be read (left out of every figure)
 * @param errorImages      each of them with its reason
 * @param method           the detection method the bundle was fitted with
 * @param model            the fitted model in one line
 * @param operatingPoints  TPR and FPR at the shipped threshold and at the test set's own FPR 0 / 1 / 5 % thresholds
 * @param fpr0NgList       the defects caught at the fpr0 threshold, highest score first
 * @param image            the field of view the figures were measured at (the bundle's resize and centre crop)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"imageAuroc", "pixelAuroc", "aupro", "f1Max", "fitSeconds", "images", "timingsMs"})
public record EvalReport(double imageAuroc, Double pixelAuroc, Double aupro, double f1Max, double fitSeconds,
                         int images, Map<String, Double> timingsMs, String dataset, int trainImages,
                         double calibrationSeconds, double threshold, String thresholdSource, double thresholdFpr,
                         double thresholdTpr, int errors, java.util.List<String> errorImages, String backend,
                         String pixelMetricsNote, String method, String model, List<OperatingPoint> operatingPoints,
                         List<ScoredImage> fpr0NgList, dev.kensa.bundle.PipelineConfig.Image image) {

    /** The field of view in words, e.g. "resize 256, centre crop 224: the middle 87.5 % of each side". */
    public String fieldOfView() {
        return image.crop() == image.resize() ? "resize " + image.resize() + ", no crop: the whole field"
                : String.format(java.util.Locale.ROOT, "resize %d, centre crop %d: the middle %.1f %% of each side",
                image.resize(), image.crop(), 100.0 * image.crop() / image.resize());
    }

    /**
     * The test set's TPR and FPR at one threshold: "shipped" (the bundle's), "fpr0" (the lowest threshold that
     * rejects no test good: the largest good score), "fpr1" and "fpr5" (the lowest with at most 1 % / 5 % of the test
     * goods rejected).
     */
    public record OperatingPoint(String name, double threshold, double tpr, double fpr) {
    }

    /** A test image and its score (the NG list an engineer reviews). */
    public record ScoredImage(String image, double score) {
    }
}
