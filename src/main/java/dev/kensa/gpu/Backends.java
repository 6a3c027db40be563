package dev.kensa.gpu;

import dev.kensa.KensaException;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Backend selection ({@code kensa.backend}): {@code cpu}; {@code tensorrt} (TensorRT backbone + CUDA scorer, or a
 * clear failure); {@code auto}, the GPU when the probe finds one with its libraries, else CPU, saying why in one log
 * line (once per reason per process, not at every model load).
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class);
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger FALLBACK_LINES = new AtomicInteger();

    private Backends() {
    }

    public enum Mode {
        AUTO, TENSORRT, CPU;

        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new KensaException("kensa.backend must be auto, tensorrt or cpu, not '" + s + "'");
            }
        }

        /** The word in configuration and on the command line: auto, tensorrt, cpu. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param cacheDir  where TensorRT engines are kept ({@code kensa.cache-dir})
     * @param precision engine precision (FP32 for parity checks)
     */
    public record Options(Mode mode, Path cacheDir, Precision precision) {
        /**
         * auto, FP16 and {@code kensa.cache-dir} as it is when nothing is configured (the default state dir): what
         * callers without configuration (self-test, inspect, eval) get. BackendsTest holds it to KensaConfig's default.
         */
        public static Options defaults() {
            return new Options(Mode.AUTO, Path.of("data", "engine-cache"), Precision.FP16);
        }

        public static Options of(String backend, Path cacheDir) {
            return of(Mode.parse(backend), cacheDir);
        }

        public static Options of(Mode mode, Path cacheDir) {
            return new Options(mode, cacheDir, Precision.FP16);
        }
    }

    /** Which backend to build and why. */
    public record Decision(boolean gpu, String reason) {
    }

    /** The pure rule, apart from the probe so it is tested with made-up GPU states. */
    static Decision decide(Mode mode, GpuStatus gpu) {
        return switch (mode) {
            case CPU -> new Decision(false, "kensa.backend=cpu");
            case TENSORRT -> {
                if (!gpu.available()) {
                    throw new KensaException("kensa.backend=tensorrt but TensorRT/CUDA is not available: " + gpu.reason());
                }
                yield new Decision(true, "kensa.backend=tensorrt on " + gpu.describe());
            }
            case AUTO -> gpu.available()
                    ? new Decision(true, "auto: " + gpu.describe())
                    : new Decision(false, "auto: GPU backend unavailable (" + gpu.reason() + ")");
        };
    }

    /**
     * Decides for this box (probing the GPU once per process); logs an auto fallback once, in words ("no GPU (CPU
     * backend)" on a box without one, which is normal, not a fault), and the loader's reason at debug level.
     */
    public static Decision choose(Mode mode) {
        GpuStatus gpu = mode == Mode.CPU ? GpuStatus.unavailable("not probed") : GpuProbe.status();
        Decision d = decide(mode, gpu);
        if (mode == Mode.AUTO && !d.gpu()) {
            fallback(gpu.words() + " (CPU backend)", d.reason());
        }
        return d;
    }

    /** One log line per distinct reason: the CPU backend is in use and why (e.g. a GPU model that failed to load). */
    public static void fallback(String reason) {
        fallback("backend: CPU (ONNX Runtime + Java scorer); " + reason, null);
    }

    private static void fallback(String line, String detail) {
        if (LOGGED.add(line)) {
            FALLBACK_LINES.incrementAndGet();
            LOG.info(line);
            if (detail != null) {
                LOG.debugf("GPU backend not used: %s", detail);
            }
        }
    }

    /** Fallback lines logged so far in this process (for tests). */
    static int fallbackLines() {
        return FALLBACK_LINES.get();
    }
}
