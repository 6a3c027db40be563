package dev.kensa.score;

import org.jboss.logging.Logger;

/**
 * Picks the CPU patch scorer once per process: the Vector API kernel when the JVM has the
 * {@code jdk.incubator.vector} module (start it with {@code --add-modules jdk.incubator.vector}), else the scalar
 * one. Both compute the same distance; the choice and its reason are in {@link #cpuKernel()}.
 */
public final class MahalanobisScorers {
    private static final Logger LOG = Logger.getLogger(MahalanobisScorers.class);
    private static final String KERNEL = dev.kensa.util.Simd.available() ? "vector" : "scalar";
    private static final String REASON = dev.kensa.util.Simd.reason();

    static {
        LOG.debugf("CPU Mahalanobis kernel: %s (%s)", KERNEL, REASON);
    }

    private MahalanobisScorers() {
    }

    /** "vector" or "scalar". */
    public static String cpuKernel() {
        return KERNEL;
    }

    /** Why that kernel was chosen. */
    public static String cpuKernelReason() {
        return REASON;
    }

    public static MahalanobisScorer cpu(GaussianStats stats, int threads) {
        return KERNEL.equals("vector") ? new VectorMahalanobisScorer(stats, threads) : new ScalarMahalanobisScorer(stats, threads);
    }

    /** The scalar kernel, for side-by-side comparisons and as the reference in tests. */
    public static MahalanobisScorer scalar(GaussianStats stats, int threads) {
        return new ScalarMahalanobisScorer(stats, threads);
    }

    /** The vector kernel; throws when the module is missing. */
    public static MahalanobisScorer vector(GaussianStats stats, int threads) {
        if (!KERNEL.equals("vector")) {
            throw new IllegalStateException("Vector API kernel not available: " + REASON);
        }
        return new VectorMahalanobisScorer(stats, threads);
    }
}
