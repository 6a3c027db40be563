package dev.kensa.gpu;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything a serialized TensorRT engine depends on. An engine is only valid for the exact backbone, TensorRT
 * version and GPU model (compute capability) it was built for, and bakes in precision and the optimisation
 * profile's shapes; any change means a rebuild.
 *
 * @param backboneSha256    sha256 of the bundle's backbone.onnx (hex)
 * @param tensorRtVersion   e.g. "10.15.1"
 * @param gpuName           e.g. "NVIDIA RTX A2000"
 * @param computeCapability major * 10 + minor
 * @param maxBatch          the profile's batch range is 1..maxBatch
 * @param inputHeight       input image side (the profile's H)
 * @param inputWidth        input image side (the profile's W)
 */
public record EngineCacheKey(String backboneSha256, String tensorRtVersion, String gpuName, int computeCapability,
                             Precision precision, int maxBatch, int inputHeight, int inputWidth) {

    /** Bump when the cache file layout or the build settings change, so old files rebuild. */
    static final int LAYOUT = 1;

    public EngineCacheKey {
        Objects.requireNonNull(backboneSha256, "backboneSha256");
        Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
        Objects.requireNonNull(gpuName, "gpuName");
        Objects.requireNonNull(precision, "precision");
        if (maxBatch < 1 || inputHeight < 1 || inputWidth < 1) {
            throw new IllegalArgumentException("batch and shape must be positive: " + maxBatch + ", " + inputHeight + "x" + inputWidth);
        }
    }

    /** One line naming every field; written into the cache file's header and compared on load. */
    public String canonical() {
        return "layout=" + LAYOUT + ";backbone=" + backboneSha256.toLowerCase(Locale.ROOT) + ";tensorrt=" + tensorRtVersion
                + ";gpu=" + gpuName.replace(';', ',').replace('\n', ' ') + ";sm=" + computeCapability
                + ";precision=" + precision + ";batch=1.." + maxBatch + ";input=3x" + inputHeight + "x" + inputWidth;
    }

    /**
     * A stable, filesystem-safe name: readable parts for a person listing the folder, then a hash of the whole key
     * so two keys never share a file.
     */
    public String fileName() {
        String sha = backboneSha256.toLowerCase(Locale.ROOT).replaceAll("[^0-9a-f]", "");
        String shortSha = sha.substring(0, Math.min(12, sha.length()));
        return "resnet-" + shortSha + "-trt" + tensorRtVersion.replaceAll("[^0-9A-Za-z.]", "_") + "-sm" + computeCapability
                + "-" + precision.name().toLowerCase(Locale.ROOT) + "-b" + maxBatch + "-" + inputHeight + "x" + inputWidth
                + "-" + sha256Hex(canonical()).substring(0, 16) + ".engine";
    }

    static String sha256Hex(String s) {
        return HexFormat.of().formatHex(sha256(s.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
