package dev.kensa.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The independent NumPy the {@code .npy} cross-checks run against ({@code .ci/run} installs Debian's python3-numpy).
 * Like the test data: missing, a test is skipped locally, saying why, and fails when CI=true.
 */
public final class PythonNumpy {
    private PythonNumpy() {
    }

    /**
     * A python3 that imports numpy; otherwise the test is skipped with the reason (failed under CI=true).
     *
     * @param what the test, for the reason ("... skipped: python3 with numpy is not available here: ...")
     */
    public static String python3(String what) {
        // the PATH's python3 (a developer's own), else the system's, where Debian's python3-numpy lands
        String why = "";
        for (String python : new String[]{"python3", "/usr/bin/python3"}) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import numpy").redirectErrorStream(true).start();
                boolean done = p.waitFor(60, TimeUnit.SECONDS);
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (done && p.exitValue() == 0) {
                    return python;
                }
                p.destroyForcibly();
                why += (why.isEmpty() ? "" : "; ") + python + ": " + (done ? "'import numpy' failed: "
                        + out.lines().reduce((a, b) -> b).orElse("") : "did not answer in 60 s");
            } catch (IOException e) {
                why += (why.isEmpty() ? "" : "; ") + python + ": cannot run (" + e.getMessage() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Assumptions.abort("interrupted");
            }
        }
        String msg = what + " skipped: python3 with numpy is not available here: " + why;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(msg + " (CI=true: .ci/run installs python3-numpy)");
        }
        return Assumptions.abort(msg);
    }
}
