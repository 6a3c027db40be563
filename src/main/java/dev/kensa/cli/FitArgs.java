package dev.kensa.cli;

import dev.kensa.fit.FitOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by fit and eval. */
public class FitArgs {
    @Option(names = "--backbone", required = true, description = "ONNX backbone (ResNet-18 layer1-3)")
    Path backbone;

    @Option(names = "--dims", defaultValue = "100", description = "kept embedding channels d (default ${DEFAULT-VALUE})")
    int dims;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the channel subset and k-fold split")
    long seed;

    @Option(names = "--fpr", defaultValue = "0.01", description = "target image false-reject rate of the threshold; 0 = max good score + margin")
    double fpr;

    @Option(names = "--margin", defaultValue = "0.05", description = "relative margin over the max good score when --fpr 0")
    double margin;

    @Option(names = "--folds", defaultValue = "5", description = "k of the k-fold calibration")
    int folds;

    @Option(names = "--float16", description = "store the inverse-Cholesky factors as float16 (half the size)")
    boolean float16;

    @Option(names = "--batch", defaultValue = "8", description = "backbone batch size")
    int batch;

    @Option(names = "--threads", description = "CPU threads (default: all cores)")
    Integer threads;

    FitOptions options(Path train, Path output, Path holdout, Path dev, String name) {
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        FitOptions d = FitOptions.defaults(train, backbone, output);
        return new FitOptions(train, backbone, output, holdout, dev, name, dims, seed, fpr, margin, folds, d.eps(),
                float16, true, d.resize(), d.crop(), d.sigma(), batch, t);
    }
}
