package dev.kensa.cli;

import dev.kensa.KensaException;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.Methods;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** Options shared by fit and eval. */
public class FitArgs {
    @Option(names = "--backbone", required = true, description = "ONNX backbone (ResNet-18 layer1-3)")
    Path backbone;

    @Option(names = "--method", defaultValue = Methods.DEFAULT, completionCandidates = MethodNames.class,
            description = "detection method: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    String method;

    /** The methods this build has, for the help text. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Methods.names().iterator();
        }
    }

    @Option(names = "--layers", split = ",", description = "backbone outputs to use, e.g. layer2,layer3 (default: the method's)")
    List<String> layers;

    @Option(names = "--dims", defaultValue = "100", description = "padim: kept embedding channels d (default ${DEFAULT-VALUE})")
    int dims;

    @Option(names = "--coreset-ratio", description = "patchcore: share of the training patches kept in the memory bank, in (0,1] (default 0.01)")
    Double coresetRatio;

    @Option(names = "--max-bank-mb", description = "patchcore: largest full patch bank (N x P x D float32, before the coreset) the fit accepts, in MB (default 2048)")
    Long maxBankMb;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the channel subset, folds, projection and coreset start")
    long seed;

    @Option(names = "--fpr", defaultValue = "0.01", description = "target image false-reject rate of the threshold; 0 = max good score + margin")
    double fpr;

    @Option(names = "--margin", defaultValue = "0.05", description = "relative margin over the max good score when --fpr 0")
    double margin;

    @Option(names = "--calibration", description = "how the training images are scored for the threshold: kfold or loo (default: the method's)")
    String calibration;

    @Option(names = "--folds", defaultValue = "5", description = "k of the k-fold calibration")
    int folds;

    @Option(names = "--float16", description = "store the model's large arrays as float16 (PaDiM factors, PatchCore memory bank)")
    boolean float16;

    @Option(names = "--resize", description = "square side the image is resized to before the centre crop (default 256); "
            + "equal to --crop, the model sees the whole field of view, nothing is cut off")
    Integer resize;

    @Option(names = "--crop", description = "centre-crop side fed to the backbone; must be the backbone's input size (default 224)")
    Integer crop;

    @Option(names = "--batch", defaultValue = "8", description = "backbone batch size")
    int batch;

    @Option(names = "--threads", description = "CPU threads (default: all cores)")
    Integer threads;

    FitOptions options(Path train, Path output, Path holdout, Path dev, String name) {
        Methods.byName(method); // an unknown method is refused before anything is read
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        FitOptions d = FitOptions.defaults(train, backbone, output);
        MethodOptions m = d.methodOptions();
        double ratio = coresetRatio != null ? coresetRatio : m.coresetRatio();
        if (!(ratio > 0 && ratio <= 1)) {
            throw new KensaException("--coreset-ratio must be in (0, 1], got " + ratio);
        }
        long bank = maxBankMb != null ? maxBankMb << 20 : m.maxBankBytes();
        if (bank <= 0) {
            throw new KensaException("--max-bank-mb must be positive, got " + maxBankMb);
        }
        MethodOptions options = new MethodOptions(dims, seed, m.eps(), ratio, m.projectionDims(), m.neighbours(), float16, bank);
        int side = resize != null ? resize : d.resize();
        int cropSide = crop != null ? crop : d.crop();
        if (cropSide <= 0 || side < cropSide) {
            throw new KensaException("--resize " + side + " --crop " + cropSide + ": the crop must be positive and not above the resize");
        }
        HeldOutPlan.Mode heldOut = calibration == null ? null : HeldOutPlan.Mode.parse(calibration);
        return new FitOptions(train, backbone, output, holdout, dev, name, method, layers, options, fpr, margin, heldOut,
                folds, true, side, cropSide, d.sigma(), batch, t);
    }
}
