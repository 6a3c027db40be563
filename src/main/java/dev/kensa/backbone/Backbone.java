package dev.kensa.backbone;

/**
 * The feature extractor seam: ONNX Runtime on CPU boxes, TensorRT on GPU boxes. Implementations own their native
 * session and release it in {@link #close()}.
 */
public interface Backbone extends AutoCloseable {

    /**
     * Runs a batch.
     *
     * @param input [batch][3][h][w] normalised planes, row-major (length at least batch * 3 * h * w)
     */
    FeatureMaps extract(float[] input, int batch);

    /** Input side (height = width) the backbone takes. */
    int inputSize();

    /** Short description for logs and status, e.g. "onnxruntime-cpu 1.29.0 (2 threads)". */
    String describe();

    @Override
    void close();
}
