package dev.kensa.method;

import dev.kensa.backbone.FeatureMaps;

/**
 * A streaming fit: the backbone outputs of the training images arrive a batch at a time (never all in memory), then
 * {@link #finish()} makes the model and {@link #heldOut} scores every training image with a model that did not see
 * it, for the threshold. Owns whatever it spills to disk; {@link #close()} removes it.
 */
public interface MethodFitter extends AutoCloseable {

    /**
     * Adds a batch of training images.
     *
     * @param maps         the backbone outputs of {@code imageIndices.length} images; valid during this call only
     * @param imageIndices the training index (0..images-1) of the image in each batch slot
     */
    void add(FeatureMaps maps, int[] imageIndices);

    /** The model of every image added. Called once, after the last {@link #add}. */
    MethodModel finish();

    /**
     * The image score of every training image, each from a model that did not see that image, in training index
     * order; only when the {@link FitContext#heldOut()} plan was given. Called after {@link #finish()}.
     *
     * @param progress called with the number of images scored since the last call
     */
    HeldOutScores heldOut(java.util.function.IntConsumer progress);

    /** @param source how the scores were made, e.g. "kfold-oof(k=5, 209 good)", "loo(209 good)" */
    record HeldOutScores(double[] scores, String source) {
    }

    @Override
    void close();
}
