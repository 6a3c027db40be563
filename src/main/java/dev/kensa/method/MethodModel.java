package dev.kensa.method;

import dev.kensa.backbone.LayerShape;

import java.nio.file.Path;
import java.util.List;

/**
 * A fitted model of one method: made by its fitter, or read from a bundle. Immutable; large arrays are shared.
 */
public interface MethodModel {

    DetectionMethod method();

    /** The backbone outputs it scores, in embedding order (the bundle's {@code backbone.outputs}). */
    List<String> layers();

    /** The grid of its per-patch anomaly map, or null for an image-level method (no map, no regions). */
    Grid grid();

    /**
     * Checks the backbone's outputs (shapes from a warm-up batch) against what the model was fitted on; a one-line
     * {@link dev.kensa.KensaException} names the disagreement.
     */
    void checkLayers(List<LayerShape> shapes);

    /** A scorer on the backend {@code spec} asks for (the method's CUDA scorer on a GPU, else its Java one). */
    MethodScorer scorer(ScorerSpec spec);

    /** Writes the method's files into a bundle directory being made and says what goes into the manifest. */
    MethodManifest write(Path dir);

    /** One line for people, e.g. "patchcore: memory bank 1,638 x 384 float32 (2.5 MB), b=9". */
    String describe();

    /** Bytes the model holds in memory. */
    long memoryBytes();

    /** Bytes its large arrays take as float32 (bench's comparison of storage types). */
    default long memoryBytesFloat32() {
        return memoryBytes();
    }

    /** Bytes its large arrays would take stored as float16 ({@code --float16}). */
    default long memoryBytesFloat16() {
        return memoryBytes();
    }

    /** CPU scorers that bench runs beside the one in use on the same features (e.g. a scalar kernel, float16). */
    default List<BenchVariant> benchVariants(int threads) {
        return List.of();
    }

    /** @param name row suffix in bench, e.g. "scalar", "f16" */
    record BenchVariant(String name, MethodScorer scorer) {
    }

    /**
     * @param gpu      the method's GPU scorer (CUDA) instead of its CPU one
     * @param threads  CPU threads
     * @param maxBatch most images per {@link MethodScorer#score} call
     */
    record ScorerSpec(boolean gpu, int threads, int maxBatch) {
        public static ScorerSpec cpu(int threads, int maxBatch) {
            return new ScorerSpec(false, threads, maxBatch);
        }
    }
}
