package dev.kensa.pipeline;

import dev.kensa.bundle.ModelBundle;

import java.util.ArrayList;
import java.util.List;

/**
 * The bundle's golden images, scored by the loaded model and compared with the scores recorded at fit time.
 * A mismatch means the backbone, the statistics or the preprocessing are not what the bundle was fitted with.
 */
public final class SelfTest {
    private SelfTest() {
    }

    public record Check(String file, double expected, double actual, double tolerance, String error) {
        public boolean passed() {
            return error == null && Math.abs(actual - expected) <= tolerance;
        }
    }

    public record Result(List<Check> checks) {
        public boolean passed() {
            return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
        }

        public String summary() {
            StringBuilder sb = new StringBuilder();
            for (Check c : checks) {
                sb.append(String.format("%s %s expected %.5f got %.5f (tolerance %.5f)%s%n", c.passed() ? "ok  " : "FAIL",
                        c.file(), c.expected(), c.actual(), c.tolerance(), c.error() == null ? "" : " " + c.error()));
            }
            sb.append(passed() ? "self-test passed" : checks.isEmpty() ? "self-test FAILED: the bundle has no self-test images"
                    : "self-test FAILED");
            return sb.toString();
        }
    }

    public static Result run(ModelBundle bundle, int threads) {
        try (Inspector inspector = Inspectors.open(bundle, threads, 4)) {
            return run(bundle, inspector);
        }
    }

    public static Result run(ModelBundle bundle, Inspector inspector) {
        List<ModelBundle.SelfTestImage> images = bundle.selfTests();
        List<Check> checks = new ArrayList<>();
        // no quality gates: golden images test the model's arithmetic, whatever they look like
        inspector.inspectUngated(images.stream().map(i -> ImageInput.of(i.file())).toList(), in -> {
            ModelBundle.SelfTestImage img = images.get(in.index());
            String name = bundle.dir().relativize(img.file()).toString();
            if (!in.scored()) {
                checks.add(new Check(name, img.expectedScore(), Double.NaN, img.tolerance(), in.result().error()));
            } else {
                checks.add(new Check(name, img.expectedScore(), in.result().score(), img.tolerance(), null));
            }
        });
        return new Result(checks);
    }
}
