package dev.kensa.interop;

import dev.kensa.method.MethodNotebook;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed-pipeline JSON a team notebook writes when the design of a model is frozen (../shared/DESIGN.md §5), e.g.
 * <pre>
 * {"common": {"image_size": 256, "seeds": [0, 1, 2]},
 *  "threshold": {"image_fpr_target": 0.01, "value": 21.3, "source": "dev_carpet_test"},
 *  "padim": {"layers": ["layer2", "layer3"], "channel_subsample": 100},
 *  "mahalanobis": {"backbone": "resnet18", "cov_estimator": "ledoit_wolf"}}
 * </pre>
 * One section per method, named after it and read by the method ({@link MethodNotebook#section}); Kensa's own
 * {@code kensa} section holds the box's pipeline settings (crop, smoothing, pixel threshold, regions, heatmap) so an
 * exported bundle imports back unchanged.
 * <p>
 * Every section and every field may be absent (then null here; a JSON null counts as absent). What a missing
 * value means is for the importer to decide: a threshold absent here must come from the command line.
 * Read and written by {@link FixedPipelineJson}.
 *
 * @param methods the methods' sections present, by method name, in file order
 */
public record FixedPipeline(Common common, Threshold threshold, Map<String, MethodNotebook.Section> methods,
                            Kensa kensa) {
    public FixedPipeline {
        methods = methods == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(methods));
    }

    /** A method's section, or null when the JSON has none. */
    public MethodNotebook.Section method(String name) {
        return methods.get(name);
    }

    /**
     * @param imageSize square side the notebook resized images to ({@code image_size})
     * @param seeds     random seeds the notebook used (e.g. for channel subsampling), in order
     */
    public record Common(Integer imageSize, List<Long> seeds) {
        public Common {
            seeds = seeds == null ? null : List.copyOf(seeds);
        }
    }

    /**
     * @param imageFprTarget image-level false-positive rate the value was calibrated for ({@code image_fpr_target})
     * @param value          image-score threshold: score &gt; value is NG
     * @param source         where it was calibrated, e.g. {@code dev_carpet_test}
     */
    public record Threshold(Double imageFprTarget, Double value, String source) {
    }

    /**
     * The box's own pipeline settings, which a notebook need not write (absent ones take the values {@code kensa fit}
     * writes): what makes {@code bundle export} then {@code bundle import} give back the same pipeline.
     *
     * @param crop           centre-crop side fed to the backbone (default: the backbone's input size)
     * @param sigma          Gaussian blur of the anomaly map, in map pixels
     * @param pixelThreshold anomaly-map value above which a pixel is part of a defect region (default: the threshold)
     * @param minArea        smallest defect region kept, in anomaly-map pixels
     * @param opening        radius of the morphological opening of the above-threshold mask (0 = none)
     * @param heatmapSize    longest side of the heatmap thumbnail
     * @param jpegQuality    JPEG quality of the heatmap
     */
    public record Kensa(Integer crop, Double sigma, Double pixelThreshold, Integer minArea, Integer opening,
                        Integer heatmapSize, Integer jpegQuality) {
    }
}
