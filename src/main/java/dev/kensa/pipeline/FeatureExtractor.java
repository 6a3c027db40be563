package dev.kensa.pipeline;

import dev.kensa.KensaException;
import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import dev.kensa.image.ImagePreprocessor;

import java.util.List;
import java.util.function.Consumer;

/**
 * Image to backbone features: decode + preprocess (parallel, one batch ahead), backbone. Owns the backbone and the
 * decode threads. A warm-up batch at construction learns the backbone's output shapes (which the method's model is
 * checked against) and leaves the runtime's lazy initialisation out of timings.
 */
public final class FeatureExtractor implements AutoCloseable {
    private final ImagePreprocessor preprocessor;
    private final Backbone backbone;
    private final BatchLoader loader;
    private final List<LayerShape> layers;

    /** Takes ownership of {@code backbone} (closed here if the construction fails). */
    public FeatureExtractor(ImagePreprocessor preprocessor, Backbone backbone, int decodeThreads) {
        this.preprocessor = preprocessor;
        this.backbone = backbone;
        try {
            if (backbone.inputSize() != preprocessor.geometry().crop()) {
                throw new KensaException("backbone takes " + backbone.inputSize() + "x" + backbone.inputSize()
                        + " but the pipeline crops " + preprocessor.geometry().crop());
            }
            this.layers = LayerShape.of(backbone.extract(new float[preprocessor.tensorSize()], 1));
        } catch (RuntimeException e) {
            backbone.close();
            throw e;
        }
        this.loader = new BatchLoader(preprocessor, decodeThreads);
    }

    /** The backbone's outputs for one image, in the order they were asked for. */
    public List<LayerShape> layers() {
        return layers;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    public Backbone backbone() {
        return backbone;
    }

    /** One batch's backbone outputs (valid until the next batch) and how long the backbone took. */
    public record Extracted(FeatureMaps maps, double backboneMs) {
    }

    /** The backbone on one preprocessed batch ([batch][3][h][w], as {@link PreparedBatch#input()}). */
    public synchronized Extracted extract(float[] input, int batch) {
        long t0 = System.nanoTime();
        FeatureMaps maps = backbone.extract(input, batch);
        return new Extracted(maps, (System.nanoTime() - t0) / 1e6);
    }

    /** Decoded and preprocessed batches, one batch ahead, on the calling thread; the backbone is not run. */
    public void forEachPrepared(List<? extends ImageInput> inputs, int batchSize, Consumer<PreparedBatch> consumer) {
        loader.forEachBatch(inputs, batchSize, consumer);
    }

    /** As {@link #forEachPrepared(List, int, Consumer)} with the image-quality gates in the decode tasks (null: none). */
    public void forEachPrepared(List<? extends ImageInput> inputs, int batchSize, dev.kensa.quality.QualityGate gate,
                                Consumer<PreparedBatch> consumer) {
        loader.forEachBatch(inputs, batchSize, gate, consumer);
    }

    /** A decoded batch and its backbone outputs (null when no image of the batch decoded). */
    public record Batch(PreparedBatch prepared, FeatureMaps maps) {
    }

    /** Decoded batches through the backbone: the route of fit and calibration. */
    public synchronized void forEachBatch(List<? extends ImageInput> inputs, int batchSize, Consumer<Batch> consumer) {
        forEachPrepared(inputs, batchSize, batch -> consumer.accept(
                new Batch(batch, batch.size() == 0 ? null : backbone.extract(batch.input(), batch.size()))));
    }

    @Override
    public void close() {
        loader.close();
        backbone.close();
    }
}
