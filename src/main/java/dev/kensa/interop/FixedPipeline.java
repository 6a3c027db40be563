package dev.kensa.interop;

import java.util.List;

/**
 * The fixed-pipeline JSON a team notebook writes when the design of a model is frozen (DESIGN.md §5), e.g.
 * <pre>
 * {"common": {"image_size": 256, "seeds": [0, 1, 2]},
 *  "threshold": {"image_fpr_target": 0.01, "value": 21.3, "source": "dev_carpet_test"},
 *  "padim": {"layers": ["layer2", "layer3"], "channel_subsample": 100},
 *  "mahalanobis": {"backbone": "resnet18", "cov_estimator": "ledoit_wolf"}}
 * </pre>
 * Kensa reads three more things a notebook may write, and {@code kensa bundle export} writes them: the layers of
 * the global Mahalanobis model ({@code mahalanobis.layers}), a {@code patchcore} section, and a {@code kensa} section
 * with the box's own pipeline settings (crop, smoothing, pixel threshold, regions, heatmap) so an exported bundle
 * imports back unchanged.
 * <p>
 * Every section and every field may be absent (then null here; a JSON null counts as absent). What a missing
 * value means is for the importer to decide: a threshold absent here must come from the command line.
 * Read and written by {@link FixedPipelineJson}.
 */
public record FixedPipeline(Common common, Threshold threshold, Padim padim, Mahalanobis mahalanobis,
                            Patchcore patchcore, Kensa kensa) {

    /** A notebook's four sections, without Kensa's. */
    public FixedPipeline(Common common, Threshold threshold, Padim padim, Mahalanobis mahalanobis) {
        this(common, threshold, padim, mahalanobis, null, null);
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
     * @param layers           backbone layers whose features are concatenated, e.g. layer2, layer3
     * @param channelSubsample channels kept of the concatenation ({@code channel_subsample}, PaDiM's d)
     */
    public record Padim(List<String> layers, Integer channelSubsample) {
        public Padim {
            layers = layers == null ? null : List.copyOf(layers);
        }
    }

    /**
     * @param backbone     feature extractor name, e.g. resnet18
     * @param covEstimator covariance estimator ({@code cov_estimator}), e.g. ledoit_wolf
     * @param layers       backbone layers whose globally averaged features are concatenated (Kensa's addition)
     */
    public record Mahalanobis(String backbone, String covEstimator, List<String> layers) {
        public Mahalanobis {
            layers = layers == null ? null : List.copyOf(layers);
        }

        public Mahalanobis(String backbone, String covEstimator) {
            this(backbone, covEstimator, null);
        }
    }

    /**
     * PatchCore (Kensa's addition; anomalib's names).
     *
     * @param layers       backbone layers of the patch features, e.g. layer2, layer3
     * @param pooling      side of the local average pooling (odd)
     * @param neighbours   support neighbours b of the image-score reweighting ({@code num_neighbors} in anomalib)
     * @param coresetRatio share of the training patches the memory bank kept ({@code coreset_sampling_ratio})
     */
    public record Patchcore(List<String> layers, Integer pooling, Integer neighbours, Double coresetRatio) {
        public Patchcore {
            layers = layers == null ? null : List.copyOf(layers);
        }
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
