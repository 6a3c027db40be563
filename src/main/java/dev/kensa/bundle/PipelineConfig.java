package dev.kensa.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code pipeline.json}: the fixed inference pipeline of a bundle (DESIGN.md §5). Never changed at inference.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineConfig(Image image, Smoothing smoothing, Threshold threshold, Regions regions, Heatmap heatmap) {

    /** @param resize square side the decoded image is resized to; @param crop centre-crop side fed to the backbone */
    public record Image(int resize, int crop) {
    }

    public record Smoothing(double sigma) {
    }

    /**
     * @param value     image-score threshold: score &gt; value is NG
     * @param fprTarget image-level false-positive rate the threshold was calibrated for (0 = max good + margin)
     * @param source    how it was calibrated, e.g. "kfold-oof(k=5, 209 good)", "holdout(40 good)",
     *                  "dev(20 good, 63 defective)"
     */
    public record ImageThreshold(double value, double fprTarget, String source) {
    }

    public record PixelThreshold(double value) {
    }

    public record Threshold(ImageThreshold image, PixelThreshold pixel) {
    }

    /** @param minArea smallest region kept, in anomaly-map pixels; @param opening morphological opening radius (0 = none) */
    public record Regions(int minArea, int opening) {
    }

    /** @param size longest side of the heatmap thumbnail in pixels */
    public record Heatmap(int size, int jpegQuality) {
    }
}
