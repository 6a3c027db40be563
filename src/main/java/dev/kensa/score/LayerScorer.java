package dev.kensa.score;

import dev.kensa.backbone.DeviceFeatureMaps;

/**
 * A patch scorer that also takes the backbone's layer outputs where they are (GPU memory) and gathers the bundle's
 * channels itself, so no [batch][P][d] embedding is built: the fused route. Only the [batch][P] distances come back.
 */
public interface LayerScorer extends PatchScorer {

    /** Whether these layers fit this scorer (layer count, grid); the route falls back to host gather when not. */
    boolean accepts(DeviceFeatureMaps maps);

    /**
     * @param maps      the batch's layers on the device
     * @param distances [batch][P] output, as {@link #score}
     */
    void scoreLayers(DeviceFeatureMaps maps, float[] distances);
}
