package dev.kensa.pipeline;

import dev.kensa.KensaException;
import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.image.ImagePreprocessor;

import java.util.List;
import java.util.function.Consumer;

/**
 * Image to patch embedding: decode + preprocess (parallel, one batch ahead), backbone, channel gather. Owns the
 * backbone and the decode threads. A warm-up batch at construction checks the backbone's outputs against the
 * embedding (grid divisibility, channel count) and leaves the runtime's lazy initialisation out of timings.
 */
public final class FeatureExtractor implements AutoCloseable {
    private final ImagePreprocessor preprocessor;
    private final Backbone backbone;
    private final EmbeddingExtractor embedding;
    private final BatchLoader loader;
    private final int gridHeight;
    private final int gridWidth;
    private final int totalChannels;
    /** Reused for every batch: valid until the next batch (consumers copy what they keep). */
    private float[] embeddingBuffer;

    /** Takes ownership of {@code backbone}. */
    public FeatureExtractor(ImagePreprocessor preprocessor, Backbone backbone, int[] channels, int decodeThreads) {
        this.preprocessor = preprocessor;
        this.backbone = backbone;
        this.embedding = new EmbeddingExtractor(channels);
        if (backbone.inputSize() != preprocessor.geometry().crop()) {
            backbone.close();
            throw new KensaException("backbone takes " + backbone.inputSize() + "x" + backbone.inputSize()
                    + " but the pipeline crops " + preprocessor.geometry().crop());
        }
        FeatureMaps warm = backbone.extract(new float[preprocessor.tensorSize()], 1);
        FeatureMaps.Layer first = warm.layers().get(0);
        this.gridHeight = first.height();
        this.gridWidth = first.width();
        this.totalChannels = EmbeddingExtractor.totalChannels(warm);
        embedding.extract(warm); // validates the channel indices against this backbone
        this.loader = new BatchLoader(preprocessor, decodeThreads);
    }

    /** Channels of the backbone's concatenated embedding, from one warm-up batch of a zero image. */
    public static int totalChannels(Backbone backbone) {
        int side = backbone.inputSize();
        return EmbeddingExtractor.totalChannels(backbone.extract(new float[3 * side * side], 1));
    }

    public int gridHeight() {
        return gridHeight;
    }

    public int gridWidth() {
        return gridWidth;
    }

    public int positions() {
        return gridHeight * gridWidth;
    }

    public int dims() {
        return embedding.dims();
    }

    public int totalChannels() {
        return totalChannels;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    public Backbone backbone() {
        return backbone;
    }

    /**
     * One processed batch.
     *
     * @param embeddings [batch.size()][P][d] for the images that decoded, in slot order; reused by the next
     *                   batch, so copy what you keep
     * @param backboneMs backbone time for the whole batch
     * @param gatherMs   embedding gather time for the whole batch
     */
    public record Embedded(PreparedBatch batch, float[] embeddings, double backboneMs, double gatherMs) {
    }

    /** Embeddings of one batch: [batch][P][d], reused by the next call, so copy what you keep. */
    public record Embedding(float[] values, double backboneMs, double gatherMs) {
    }

    /** Backbone and host gather for one preprocessed batch ([batch][3][h][w], as {@link PreparedBatch#input()}). */
    public synchronized Embedding embed(float[] input, int batch) {
        long t0 = System.nanoTime();
        FeatureMaps maps = backbone.extract(input, batch);
        long t1 = System.nanoTime();
        int need = batch * positions() * dims();
        if (embeddingBuffer == null || embeddingBuffer.length < need) {
            embeddingBuffer = new float[need];
        }
        embedding.extract(maps, embeddingBuffer);
        long t2 = System.nanoTime();
        return new Embedding(embeddingBuffer, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }

    /** Decoded and preprocessed batches, one batch ahead, on the calling thread; the backbone is not run. */
    public void forEachPrepared(List<? extends ImageInput> inputs, int batchSize, Consumer<PreparedBatch> consumer) {
        loader.forEachBatch(inputs, batchSize, consumer);
    }

    /** Decoded batches through the backbone and the host gather: the route of fit and calibration. */
    public synchronized void forEachBatch(List<? extends ImageInput> inputs, int batchSize, Consumer<Embedded> consumer) {
        forEachPrepared(inputs, batchSize, batch -> {
            if (batch.size() == 0) {
                consumer.accept(new Embedded(batch, new float[0], 0, 0));
                return;
            }
            Embedding e = embed(batch.input(), batch.size());
            consumer.accept(new Embedded(batch, e.values(), e.backboneMs(), e.gatherMs()));
        });
    }

    @Override
    public void close() {
        loader.close();
        backbone.close();
    }
}
