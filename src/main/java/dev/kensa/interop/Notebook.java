package dev.kensa.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The folder a notebook hands to {@code kensa bundle import} and that {@code kensa bundle export} writes (README,
 * "From a notebook to the box"): the fixed-pipeline JSON and one folder of {@code .npy} arrays per method.
 * <pre>
 * fixed_pipeline.json          threshold, image size, layers, ... ({@link FixedPipeline})
 * padim/mean.npy               [P, d]     per-position mean of the kept channels (P = grid positions, row-major)
 * padim/cov.npy                [P, d, d]  per-position covariance (regularised, e.g. + 0.01 I), or instead
 * padim/inv_cov.npy            [P, d, d]  its inverse
 * padim/idx.npy                [d]        the kept channels: indices into the layers' concatenated channels
 * mahalanobis/mean.npy         [D]        mean of the globally average-pooled features
 * mahalanobis/cov.npy          [D, D]     their covariance, or instead
 * mahalanobis/precision.npy    [D, D]     its inverse
 * patchcore/memory_bank.npy    [N, D]     the memory bank of locally aware patch features
 * </pre>
 */
public final class Notebook {
    public static final String FIXED_PIPELINE = "fixed_pipeline.json";
    public static final String PADIM = "padim";
    public static final String MAHALANOBIS = "mahalanobis";
    public static final String PATCHCORE = "patchcore";
    public static final String MEAN = "mean.npy";
    public static final String COV = "cov.npy";
    public static final String INV_COV = "inv_cov.npy";
    public static final String IDX = "idx.npy";
    public static final String PRECISION = "precision.npy";
    public static final String MEMORY_BANK = "memory_bank.npy";

    private Notebook() {
    }

    /** The method folders present in {@code dir}, in the order above. */
    static java.util.List<String> methodsIn(Path dir) {
        return Stream.of(PADIM, MAHALANOBIS, PATCHCORE).filter(m -> Files.isDirectory(dir.resolve(m))).toList();
    }
}
