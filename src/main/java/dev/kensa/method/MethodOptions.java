package dev.kensa.method;

/**
 * Fit parameters that belong to the methods; each method reads the ones it uses and ignores the rest. Defaults in
 * {@link #defaults()}, in one place.
 *
 * @param dims           PaDiM: kept embedding channels d (a seeded random subset)
 * @param seed           seed of every random choice of a fit (channel subset, folds, projection, first coreset point)
 * @param eps            PaDiM: covariance regularisation added to the diagonal
 * @param coresetRatio   PatchCore: share of all training patches kept in the memory bank, in (0, 1]
 * @param projectionDims PatchCore: dimensions of the random projection the coreset is selected on
 * @param neighbours     PatchCore: support neighbours b of the image-score reweighting (1 = plain max)
 * @param float16        store the model's large arrays as float16 (PaDiM factor, PatchCore memory bank)
 * @param maxBankBytes   PatchCore: the full patch bank before the coreset (N x P x D float32) may not exceed this
 */
public record MethodOptions(int dims, long seed, double eps, double coresetRatio, int projectionDims, int neighbours,
                            boolean float16, long maxBankBytes) {

    public static final double DEFAULT_EPS = 0.01;

    public static MethodOptions defaults() {
        return new MethodOptions(100, 42L, DEFAULT_EPS, 0.01, 128, 9, false, 2L << 30);
    }

    public MethodOptions withFloat16(boolean f) {
        return new MethodOptions(dims, seed, eps, coresetRatio, projectionDims, neighbours, f, maxBankBytes);
    }

    public MethodOptions withCoresetRatio(double r) {
        return new MethodOptions(dims, seed, eps, r, projectionDims, neighbours, float16, maxBankBytes);
    }
}
