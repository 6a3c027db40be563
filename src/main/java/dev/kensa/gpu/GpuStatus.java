package dev.kensa.gpu;

/**
 * What the one GPU probe of this process found. When {@link #available()} is false, {@link #reason()} says why
 * in one line (no driver, no GPU, no libraries, compute capability too old) and the other fields are empty.
 *
 * @param computeCapability major * 10 + minor, e.g. 89 for sm_89
 * @param tensorRtVersion   "10.15.1" when the TensorRT libraries loaded, else null
 */
public record GpuStatus(boolean available, String reason, String name, int computeCapability, long totalMemoryBytes,
                        int driverVersion, String tensorRtVersion) {

    public static GpuStatus unavailable(String reason) {
        return new GpuStatus(false, reason, null, 0, 0, 0, null);
    }

    /** "sm_89". */
    public String smName() {
        return "sm_" + computeCapability;
    }

    /** Why there is no usable GPU, in words ("no GPU", "GPU unused: TensorRT 10 is not installed"); the technical
     * reason stays in {@link #reason()}. For an available GPU, {@link #describe()}. */
    public String words() {
        return available ? describe() : GpuProbe.inWords(reason);
    }

    /** For logs, bench and status: "NVIDIA RTX A2000 (sm_86, 6.0 GiB)" or "unavailable: no GPU" (in words). */
    public String describe() {
        if (!available) {
            return "unavailable: " + words();
        }
        return String.format(java.util.Locale.ROOT, "%s (%s, %.1f GiB)", name, smName(),
                totalMemoryBytes / (1024.0 * 1024 * 1024));
    }
}
