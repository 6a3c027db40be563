package dev.kensa.daemon;

import dev.kensa.TestData;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** A real bundle fitted on the first 12 bottle training images: quick enough for every daemon test. */
final class TinyBundle {
    private TinyBundle() {
    }

    static Path fit(Path tmp) throws Exception {
        return fit(tmp, "bundle", 0);
    }

    /** A bundle fitted on training images {@code skip .. skip+11}: distinct statistics, self-test scores and sha256. */
    static Path fit(Path tmp, String name, int skip) throws Exception {
        return fit(tmp, name, skip, "padim");
    }

    /** As {@link #fit(Path, String, int)} with another detection method. */
    static Path fit(Path tmp, String name, int skip, String method) throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train-" + name));
        try (var s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().skip(skip).limit(12).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        return BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve(name)).withMethod(method)
                .withMethodOptions(dev.kensa.method.MethodOptions.defaults().withCoresetRatio(0.05)), false).bundle().dir();
    }

    static byte[] image(String type, int i) throws Exception {
        return Files.readAllBytes(TestData.bottle().resolve("test").resolve(type).resolve(String.format("%03d.png", i)));
    }
}
