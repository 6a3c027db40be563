package dev.kensa.gpu;

import dev.kensa.KensaException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.SizeTPointer;
import org.jboss.logging.Logger;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetCount;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRelease;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuDeviceTotalMem;
import static org.bytedeco.cuda.global.cudart.cuDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuMemGetInfo;

/**
 * Probes CUDA and TensorRT once per process (device 0: driver, device count, name, compute capability, memory,
 * TensorRT library). Loading the JavaCPP CUDA classes without a driver throws {@code UnsatisfiedLinkError} the
 * first time and {@code NoClassDefFoundError} ever after, which hides the real reason; so the probe runs once,
 * catches everything, keeps the first reason, and nothing touches those classes again when it failed
 * (every GPU class goes through {@link #status()} first).
 */
public final class GpuProbe {
    private static final Logger LOG = Logger.getLogger(GpuProbe.class);
    /** TensorRT 10 builds for Turing (sm_75) and newer; older GPUs run the CPU backend. */
    public static final int MIN_COMPUTE_CAPABILITY = 75;

    private GpuProbe() {
    }

    private static final class Holder {
        static final GpuStatus STATUS = probeSafely();
    }

    /** The probe's result; the probe runs on the first call only. Never throws. */
    public static GpuStatus status() {
        return Holder.STATUS;
    }

    /** Set when the probe has run (a CPU-only configuration never runs it). */
    private static volatile GpuStatus probed;

    /**
     * One line in words for status messages (HTTP and MQTT): the GPU and its memory; on a box without one
     * "no GPU (CPU backend)" (or what is missing, in words); "not used (kensa.backend=cpu)" when nothing asked.
     * The loader's technical reason is {@link #detail()}.
     */
    public static String summary() {
        GpuStatus s = probed;
        if (s == null) {
            return "not used (kensa.backend=cpu)";
        }
        return s.available() ? s.describe() : s.words() + " (CPU backend)";
    }

    /** The probe's technical reason when there is no usable GPU (the loader's message), else null. */
    public static String detail() {
        GpuStatus s = probed;
        return s == null || s.available() ? null : s.reason();
    }

    private static GpuStatus probeSafely() {
        GpuStatus s;
        try {
            s = probe();
        } catch (Throwable t) { // LinkageError above all: no libcuda, no JNI bindings, no TensorRT
            s = GpuStatus.unavailable(withHint(reasonOf(t)));
        }
        LOG.debugf("GPU probe: %s", s.available() ? s.describe() : s.reason());
        probed = s;
        return s;
    }

    private static GpuStatus probe() {
        int rc = cuInit(0);
        if (rc != CUDA_SUCCESS) {
            return GpuStatus.unavailable("CUDA driver did not initialise (CUresult " + rc + ")");
        }
        int[] driver = new int[1];
        cuDriverGetVersion(driver);
        int[] count = new int[1];
        rc = cuDeviceGetCount(count);
        if (rc != CUDA_SUCCESS || count[0] == 0) {
            return GpuStatus.unavailable("no CUDA GPU found (driver " + driver[0] + ")");
        }
        int[] device = new int[1];
        CudaSession.check(cuDeviceGet(device, 0), "cuDeviceGet");
        String name;
        try (BytePointer buffer = new BytePointer(256)) {
            CudaSession.check(cuDeviceGetName(buffer, 256, device[0]), "cuDeviceGetName");
            name = buffer.getString().trim();
        }
        int[] major = new int[1];
        int[] minor = new int[1];
        CudaSession.check(cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device[0]), "compute capability");
        CudaSession.check(cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device[0]), "compute capability");
        long memory;
        try (SizeTPointer bytes = new SizeTPointer(1)) {
            CudaSession.check(cuDeviceTotalMem(bytes, device[0]), "cuDeviceTotalMem");
            memory = bytes.get();
        }
        int cc = major[0] * 10 + minor[0];
        if (cc < MIN_COMPUTE_CAPABILITY) {
            return GpuStatus.unavailable(name + " has compute capability " + major[0] + "." + minor[0]
                    + ", TensorRT needs " + MIN_COMPUTE_CAPABILITY / 10 + "." + MIN_COMPUTE_CAPABILITY % 10 + " or newer");
        }
        String trt;
        try {
            Loader.load(org.bytedeco.tensorrt.global.nvinfer.class);
            Loader.load(org.bytedeco.tensorrt.global.nvonnxparser.class);
            int v = org.bytedeco.tensorrt.global.nvinfer.getInferLibVersion(); // e.g. 101501 = 10.15.1
            trt = (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
        } catch (Throwable t) {
            return GpuStatus.unavailable("TensorRT libraries do not load on " + name + ": " + reasonOf(t));
        }
        return new GpuStatus(true, "ok", name, cc, memory, driver[0], trt);
    }

    /** Device memory now: {free, total} bytes of GPU 0. */
    public record Memory(long freeBytes, long totalBytes) {
    }

    /**
     * Asks the driver for GPU 0's free memory through its primary context (the one the model's sessions hold): a
     * cheap call that fails when the GPU has fallen off the bus or the context is broken (Xid errors), which is what
     * the readiness check wants to know.
     *
     * @throws KensaException with the CUDA error when the GPU does not answer, or when there is none
     */
    public static Memory memory() {
        if (!status().available()) {
            throw new KensaException("no GPU: " + status().reason());
        }
        int[] device = new int[1];
        CudaSession.check(cuDeviceGet(device, 0), "cuDeviceGet");
        org.bytedeco.cuda.cudart.CUctx_st context = new org.bytedeco.cuda.cudart.CUctx_st();
        CudaSession.check(cuDevicePrimaryCtxRetain(context, device[0]), "cuDevicePrimaryCtxRetain");
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            CudaSession.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CudaSession.check(cuMemGetInfo(free, total), "cuMemGetInfo");
            return new Memory(free.get(), total.get());
        } finally {
            cuDevicePrimaryCtxRelease(device[0]);
        }
    }

    /** What a plant engineer does about a missing library, appended to the loader's message. */
    static String withHint(String reason) {
        String hint;
        if (reason.contains("libcuda.so")) {
            hint = "no NVIDIA driver on this box";
        } else if (reason.contains("libcudart.so") || reason.contains("libnvrtc.so")) {
            hint = "the CUDA 13 runtime is not installed: install it, or package with -Pgpu-redist";
        } else if (reason.contains("libnvinfer") || reason.contains("libnvonnxparser")) {
            hint = "TensorRT 10 is not installed: install it, or package with -Pgpu-redist";
        } else if (reason.contains("no jni")) {
            hint = "this build has no GPU bindings for " + System.getProperty("os.arch")
                    + "; the GPU backend ships for linux-x86_64 and linux-arm64";
        } else {
            return reason;
        }
        return reason + " (" + hint + ")";
    }

    /**
     * What the probe's {@code reason} means, in the words of a person at the line: "no GPU" for a box without an
     * NVIDIA driver or GPU (the normal case on a CPU box, not a fault), else what is missing.
     */
    static String inWords(String reason) {
        if (reason == null) {
            return "no GPU";
        }
        if (reason.contains("libcuda.so") || reason.startsWith("no CUDA GPU found")) {
            return "no GPU";
        }
        if (reason.startsWith("CUDA driver did not initialise")) {
            return "GPU driver did not initialise";
        }
        if (reason.contains("libcudart.so") || reason.contains("libnvrtc.so")) {
            return "GPU unused: the CUDA 13 runtime is not installed";
        }
        if (reason.contains("libnvinfer") || reason.contains("libnvonnxparser")) {
            return "GPU unused: TensorRT 10 is not installed";
        }
        if (reason.contains("no jni")) {
            return "GPU unused: this build has no GPU bindings for " + System.getProperty("os.arch");
        }
        if (reason.contains("has compute capability")) {
            return "GPU unused: " + reason; // already in words: "<name> has compute capability 6.1, TensorRT needs 7.5 ..."
        }
        int colon = reason.indexOf(": ");
        return "GPU unused: " + (reason.startsWith("TensorRT libraries do not load on") && colon > 0
                ? reason.substring(0, colon) : "the GPU libraries do not load");
    }

    /** The innermost message that names something (a library, a symbol), in one line. */
    static String reasonOf(Throwable t) {
        String best = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                best = c.getClass().getSimpleName() + ": " + c.getMessage();
            }
            if (c.getCause() == c) {
                break;
            }
        }
        if (best == null) {
            best = t.getClass().getName();
        }
        int nl = best.indexOf('\n');
        return nl < 0 ? best : best.substring(0, nl);
    }
}
