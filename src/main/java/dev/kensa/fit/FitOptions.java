package dev.kensa.fit;

import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.Methods;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code kensa fit} needs. Defaults in {@link #defaults(Path, Path, Path)} (PaDiM on ResNet-18 layer1-3, the method's default
 * calibration (leave-one-out) at 1 % FPR); method parameters in {@link MethodOptions}.
 *
 * @param trainDir    folder of good images
 * @param backbone    ONNX backbone (ResNet-18 layer1-3 outputs)
 * @param output      bundle directory to create (".zip" also writes a zip beside it)
 * @param holdoutDir  optional folder of held-out good images for calibration
 * @param devDir      optional labelled dev set in MVTec layout (good + defect-type folders)
 * @param method      detection method name ({@link dev.kensa.method.Methods})
 * @param layers      backbone outputs to use, or null for the method's default
 * @param fpr         target image-level false-reject rate for the threshold
 * @param margin      relative margin over the max good score when fpr = 0
 * @param heldOut     how the training images are scored for the threshold when no holdout or dev set is given
 *                    (k-fold out-of-fold, or leave-one-out); null for the method's default
 * @param folds       k of the k-fold calibration
 * @param calibrate   false skips threshold calibration (threshold = max training score; used by eval when asked)
 */
public record FitOptions(Path trainDir, Path backbone, Path output, Path holdoutDir, Path devDir, String name,
                         String method, List<String> layers, MethodOptions methodOptions, double fpr, double margin,
                         HeldOutPlan.Mode heldOut, int folds, boolean calibrate, int resize, int crop, double sigma,
                         int batchSize, int threads) {

    public static FitOptions defaults(Path trainDir, Path backbone, Path output) {
        return new FitOptions(trainDir, backbone, output, null, null, null, Methods.DEFAULT, null, MethodOptions.defaults(),
                0.01, 0.05, null, 5, true, 256, 224, 4.0, 8, Runtime.getRuntime().availableProcessors());
    }

    public FitOptions withCalibrate(boolean c) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, method, layers, methodOptions, fpr, margin,
                heldOut, folds, c, resize, crop, sigma, batchSize, threads);
    }

    public FitOptions withFloat16(boolean f) {
        return withMethodOptions(methodOptions.withFloat16(f));
    }

    public FitOptions withMethod(String m) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, m, layers, methodOptions, fpr, margin,
                heldOut, folds, calibrate, resize, crop, sigma, batchSize, threads);
    }

    public FitOptions withMethodOptions(MethodOptions o) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, method, layers, o, fpr, margin,
                heldOut, folds, calibrate, resize, crop, sigma, batchSize, threads);
    }

    public FitOptions withHeldOut(HeldOutPlan.Mode mode) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, method, layers, methodOptions, fpr, margin,
                mode, folds, calibrate, resize, crop, sigma, batchSize, threads);
    }

    public FitOptions withLayers(List<String> l) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, method, l, methodOptions, fpr, margin,
                heldOut, folds, calibrate, resize, crop, sigma, batchSize, threads);
    }

    /** The image geometry: resize to a square of {@code side}, centre-crop {@code cropSide} (= side: the whole field). */
    public FitOptions withImage(int side, int cropSide) {
        return new FitOptions(trainDir, backbone, output, holdoutDir, devDir, name, method, layers, methodOptions, fpr, margin,
                heldOut, folds, calibrate, side, cropSide, sigma, batchSize, threads);
    }

    public FitOptions withOutput(Path out) {
        return new FitOptions(trainDir, backbone, out, holdoutDir, devDir, name, method, layers, methodOptions, fpr, margin,
                heldOut, folds, calibrate, resize, crop, sigma, batchSize, threads);
    }
}
