package dev.kensa.pipeline;

import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.method.MethodScorer;
import org.jboss.logging.Logger;

/**
 * From a preprocessed batch to patch distances and image scores, on one of two routes chosen once: <em>fused</em>
 * when the backbone keeps its outputs on the GPU and the method's scorer takes them there (TensorRT + CUDA: the
 * feature maps never reach the host), else <em>host</em> (backbone outputs copied to the host, the method's scorer
 * on them). The fused route is warmed up with one zero image when chosen.
 */
final class ScoringRoute {
    private static final Logger LOG = Logger.getLogger(ScoringRoute.class);
    private final FeatureExtractor features;
    private final MethodScorer scorer;
    private final boolean fused;

    ScoringRoute(FeatureExtractor features, MethodScorer scorer) {
        this.features = features;
        this.scorer = scorer;
        this.fused = fusedFits(features, scorer);
    }

    private static boolean fusedFits(FeatureExtractor features, MethodScorer scorer) {
        if (!scorer.onDevice() || !(features.backbone() instanceof DeviceBackbone device)) {
            return false;
        }
        // one zero image through the route: the layer shapes are checked and both sides warmed up at load
        DeviceFeatureMaps warm = device.extractOnDevice(new float[features.preprocessor().tensorSize()], 1);
        if (!scorer.accepts(warm)) {
            LOG.warnf("the backbone's %d layers do not fit the method's device route; scoring from host copies",
                    warm.layers().size());
            return false;
        }
        scorer.scoreOnDevice(warm, new float[Math.max(1, positions(features))], new double[1]);
        return true;
    }

    private static int positions(FeatureExtractor features) {
        return features.layers().get(0).positions();
    }

    boolean fused() {
        return fused;
    }

    MethodScorer scorer() {
        return scorer;
    }

    /**
     * @param input       [n][3][h][w] normalised planes
     * @param distances   [n][P] out
     * @param imageScores [n] out (NaN: the max of the smoothed map)
     */
    Inspector.StageTimes score(float[] input, int n, float[] distances, double[] imageScores) {
        if (fused) {
            long t0 = System.nanoTime();
            DeviceFeatureMaps maps = ((DeviceBackbone) features.backbone()).extractOnDevice(input, n);
            long t1 = System.nanoTime();
            MethodScorer.Times t = scorer.scoreOnDevice(maps, distances, imageScores);
            return new Inspector.StageTimes((t1 - t0) / 1e6, t.embeddingMs(), t.distanceMs());
        }
        FeatureExtractor.Extracted e = features.extract(input, n);
        MethodScorer.Times t = scorer.score(e.maps(), distances, imageScores);
        return new Inspector.StageTimes(e.backboneMs(), t.embeddingMs(), t.distanceMs());
    }
}
