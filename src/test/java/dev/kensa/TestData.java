package dev.kensa;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared real test data ({@code ../shared/data}): resolved from env KENSA_DATA, else the {@code kensa.data}
 * system property Maven sets, else {@code ../shared/data}. Missing data skips locally but fails when CI=true.
 */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String env = System.getenv("KENSA_DATA");
        String prop = System.getProperty("kensa.data");
        Path root = Path.of(env != null && !env.isBlank() ? env : prop != null ? prop : "../shared/data");
        require(root);
        return root;
    }

    public static Path backbone() {
        return require(root().resolve("backbones/resnet18-imagenet-l123.onnx"));
    }

    public static Path bottle() {
        return require(root().resolve("mvtec/bottle"));
    }

    public static Path bottleTrain() {
        return require(bottle().resolve("train/good"));
    }

    /** MVTec AD transistor at 256 px (a hard category: PaDiM misses defects here that PatchCore catches). */
    public static Path transistor() {
        return require(root().resolve("mvtec256/transistor"));
    }

    public static Path transistorTrain() {
        return require(transistor().resolve("train/good"));
    }

    private static Path require(Path p) {
        if (!Files.exists(p)) {
            String msg = "test data not found: " + p.toAbsolutePath().normalize()
                    + " (set KENSA_DATA to the shared data folder)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        return p;
    }
}
