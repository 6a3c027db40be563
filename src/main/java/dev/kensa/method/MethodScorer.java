package dev.kensa.method;

import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;

/**
 * The scoring seam, one implementation per method and hardware (vectorised Java on CPU, CUDA on GPU): a batch of
 * backbone outputs in, per-patch distances and image scores out. One batch at a time; owns its native memory.
 *
 * <p>Image scores: a method whose image score is the maximum of its smoothed anomaly map (PaDiM) writes NaN and the
 * shared post-processing takes the max; PatchCore writes its reweighted nearest-neighbour score; an image-level
 * method (no map) writes its score and leaves the distances alone.
 */
public interface MethodScorer extends AutoCloseable {

    /** Milliseconds of one batch: building the method's embedding from the layers, and the distance computation. */
    record Times(double embeddingMs, double distanceMs) {
    }

    /**
     * @param maps        the backbone's outputs for {@code maps.batch()} images (host memory)
     * @param distances   [batch][P] per-patch distances out (P = grid positions; untouched without a grid)
     * @param imageScores [batch] image scores out (NaN: the max of the smoothed map)
     */
    Times score(FeatureMaps maps, float[] distances, double[] imageScores);

    /** The bench row name of the embedding stage, e.g. "gather", "pooling". */
    String embeddingStage();

    /** The bench row name of the distance stage, e.g. "mahalanobis", "nearest-neighbour". */
    String distanceStage();

    /** For logs and status, e.g. "java vector mahalanobis (2 threads)". */
    String describe();

    /** Whether it runs on the GPU (and so can take the backbone's outputs where they are, {@link #scoreOnDevice}). */
    default boolean onDevice() {
        return false;
    }

    /** Whether these device layers fit its fused route (layer count, grid); the inspector falls back to the host. */
    default boolean accepts(DeviceFeatureMaps maps) {
        return false;
    }

    /** The fused route: the layers stay on the device, only distances and scores come back. */
    default Times scoreOnDevice(DeviceFeatureMaps maps, float[] distances, double[] imageScores) {
        throw new UnsupportedOperationException(describe() + " has no device route");
    }

    @Override
    default void close() {
    }
}
