package dev.kensa.fit;

import java.nio.file.Path;

/**
 * What {@code kensa fit} needs. Defaults in {@link #defaults(Path, Path, Path)} are the PaDiM ResNet-18 ones.
 *
 * @param trainDir    folder of good images
 * @param backbone    ONNX backbone with outputs layer1..layer3
 * @param output      bundle directory to create (".zip" also writes a zip beside it)
 * @param holdoutDir  optional folder of held-out good images for calibration
 * @param devDir      optional labelled dev set in MVTec layout (good + defect-type folders)
 * @param dims        kept embedding channels d
 * @param seed        seed of the channel subset and of the k-fold split
 * @param fpr         target image-level false-reject rate for the threshold
 * @param margin      relative margin over the max good score when fpr = 0
 * @param folds       k of the k-fold calibration when no holdout or dev set is given
 * @param eps         covariance regularisation
 * @param float16     store W as float16
 * @param calibrate   false skips threshold calibration (threshold = max training score; used by eval, which is
 *                    threshold-free)
 */
public record FitOptions(Path trainDir, Path backbone, Path output, Path holdoutDir, Path devDir, String name,
                         int dims, long seed, double fpr, double margin, int folds, double eps, boolean float16,
                         boolean calibrate, int resize, int crop, double sigma, int batchSize, int threads) {

    public static FitOptions defaults(Path trainDir, Path backbone, Path output) {
        return new FitOptions(trainDir, backbone, output, null, null, null, 100, 42L, 0.01, 0.05, 5,
                GaussianFit.DEFAULT_EPS, false, true, 256, 224, 4.0, 8, Runtime.getRuntime().availableProcessors());
    }

    public FitOptions withCalibrate(boolean c) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, dims, seed, fpr, margin, folds, eps,
                float16, c, resize, crop, sigma, batchSize, threads);
    }

    public FitOptions withFloat16(boolean f) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, dims, seed, fpr, margin, folds, eps,
                f, calibrate, resize, crop, sigma, batchSize, threads);
    }
}
