package dev.kensa.testing;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The bundle the drift tests watch: PaDiM fitted on the first 12 bottle training images (name order), with the next
 * 30 as held-out calibration goods. Images from {@link #FIRST_UNSEEN} on are goods the bundle has never seen.
 */
public final class DriftBundle {
    public static final int FIRST_UNSEEN = 42;

    private DriftBundle() {
    }

    /** The bottle training images in name order. */
    public static List<Path> trainingImages() throws IOException {
        try (var s = Files.list(TestData.bottleTrain())) {
            return s.sorted().toList();
        }
    }

    /** Fits it into {@code output}, with its training and held-out images copied under {@code work}. */
    public static ModelBundle fit(Path work, Path output, String name) throws IOException {
        Path train = Files.createDirectories(work.resolve("train"));
        Path holdout = Files.createDirectories(work.resolve("holdout"));
        List<Path> all = trainingImages();
        for (int i = 0; i < FIRST_UNSEEN; i++) {
            Files.copy(all.get(i), (i < 12 ? train : holdout).resolve(all.get(i).getFileName()));
        }
        FitOptions d = FitOptions.defaults(train, TestData.backbone(), output);
        return BundleFitter.fit(new FitOptions(train, d.backbone(), d.output(), holdout, null, name, "padim", null,
                d.methodOptions(), d.fpr(), d.margin(), null, d.folds(), true, d.resize(), d.crop(), d.sigma(), d.batchSize(),
                d.threads()), false).bundle();
    }
}
