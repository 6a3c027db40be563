package dev.kensa.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code pipeline.json}: the fixed inference pipeline of a bundle (../shared/DESIGN.md §5). Never changed at inference.
 * {@code image} and {@code threshold.image} are required; the other sections are optional in the file, and
 * {@link #withDefaults()} is the one place that says what a missing one means.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineConfig(Image image, Smoothing smoothing, Threshold threshold, Regions regions, Heatmap heatmap) {

    /** Gaussian blur of the anomaly map (../shared/DESIGN.md §4). */
    public static final double DEFAULT_SIGMA = 4.0;
    /** Smallest defect region kept, in anomaly-map pixels: a few pixels of the 224 map are noise, not a defect. */
    public static final int DEFAULT_MIN_AREA = 10;
    public static final int DEFAULT_OPENING = 0;
    public static final int DEFAULT_HEATMAP_SIZE = 256;
    public static final int DEFAULT_JPEG_QUALITY = 85;

    /** @param resize square side the decoded image is resized to; @param crop centre-crop side fed to the backbone */
    public record Image(int resize, int crop) {
    }

    /** @param sigma of the Gaussian blur of the anomaly map, in map pixels (positive) */
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

    /** @param value anomaly-map threshold of defect regions (without one, the image threshold) */
    public record PixelThreshold(double value) {
    }

    public record Threshold(ImageThreshold image, PixelThreshold pixel) {
    }

    /**
     * @param minArea smallest region kept, in anomaly-map pixels
     * @param opening radius of the morphological opening of the above-threshold mask before regions are found
     *                (0 = none): removes specks narrower than 2 * opening + 1 pixels
     */
    public record Regions(int minArea, int opening) {
    }

    /** @param size longest side of the heatmap thumbnail in pixels */
    public record Heatmap(int size, int jpegQuality) {
    }

    /** What a fit writes: the given image geometry, smoothing and threshold, the default regions and heatmap. */
    public static PipelineConfig of(Image image, double sigma, ImageThreshold threshold) {
        return new PipelineConfig(image, new Smoothing(sigma), new Threshold(threshold, new PixelThreshold(threshold.value())),
                new Regions(DEFAULT_MIN_AREA, DEFAULT_OPENING), new Heatmap(DEFAULT_HEATMAP_SIZE, DEFAULT_JPEG_QUALITY));
    }

    /** This pipeline with every missing optional section filled in: what the runtime uses. */
    public PipelineConfig withDefaults() {
        Threshold t = threshold;
        if (t != null && t.image() != null && t.pixel() == null) {
            t = new Threshold(t.image(), new PixelThreshold(t.image().value()));
        }
        return new PipelineConfig(image, smoothing != null ? smoothing : new Smoothing(DEFAULT_SIGMA), t,
                regions != null ? regions : new Regions(DEFAULT_MIN_AREA, DEFAULT_OPENING),
                heatmap != null ? heatmap : new Heatmap(DEFAULT_HEATMAP_SIZE, DEFAULT_JPEG_QUALITY));
    }

    /** The same pipeline with another image threshold (and its pixel threshold), e.g. after calibration. */
    public PipelineConfig withThreshold(ImageThreshold image) {
        return new PipelineConfig(this.image, smoothing, new Threshold(image, new PixelThreshold(image.value())), regions, heatmap);
    }
}
