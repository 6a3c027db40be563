package dev.kensa.method;

import dev.kensa.backbone.LayerShape;

import java.util.List;

/**
 * What a method's fit is told before the first image arrives.
 *
 * @param layers    the backbone outputs it gets, with their shapes (from a warm-up batch), in embedding order
 * @param images    how many training images will be added (indices 0..images-1)
 * @param heldOut   how {@link MethodFitter#heldOut} will be asked to score the training images, or null when the
 *                  threshold is calibrated on other images (then the fit keeps nothing for it)
 * @param progress  where long steps report progress
 * @param mapScore  the shared post-processing's image score of a [P] distance map (max of the upsampled, blurred
 *                  map), for methods whose image score is taken from their map
 */
public record FitContext(List<LayerShape> layers, int images, MethodOptions options, HeldOutPlan heldOut, int threads,
                         MapScore mapScore, ProgressFactory progress) {

    /** Progress of a long step of a fit (e.g. the coreset selection): a counter for {@code total} units. */
    @FunctionalInterface
    public interface ProgressFactory {
        java.util.function.IntConsumer start(String label, int total);

        ProgressFactory SILENT = (label, total) -> n -> { };
    }

    /** The image score the post-processing gives a patch distance map. */
    @FunctionalInterface
    public interface MapScore {
        /** @param distances [..][P] patch distances read from {@code offset} */
        double score(float[] distances, int offset);
    }

    public FitContext {
        layers = List.copyOf(layers);
    }
}
