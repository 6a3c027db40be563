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
 * Every section and every field may be absent (then null here; a JSON null counts as absent). What a missing
 * value means is for the importer to decide: a threshold absent here must come from the command line.
 * Read and written by {@link FixedPipelineJson}.
 */
public record FixedPipeline(Common common, Threshold threshold, Padim padim, Mahalanobis mahalanobis) {

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
     */
    public record Mahalanobis(String backbone, String covEstimator) {
    }
}
