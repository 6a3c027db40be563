package dev.kensa.bundle;

import dev.kensa.score.GaussianStats;

import java.nio.file.Path;
import java.util.List;

/**
 * A loaded model bundle whose files all matched their manifest checksums and whose statistics, embedding and
 * pipeline agreed with each other when it was read. Only {@link BundleReader} makes one. Immutable; the stats
 * arrays are shared and must not be modified.
 */
public final class ModelBundle {

    /** A golden image the box scores at every load; its score must be within {@code tolerance} of {@code expectedScore}. */
    public record SelfTestImage(Path file, double expectedScore, double tolerance) {
    }

    private final Path source;
    private final Path dir;
    private final Manifest manifest;
    private final String sha256;
    private final PipelineConfig pipeline;
    private final GaussianStats stats;
    private final List<SelfTestImage> selfTests;

    ModelBundle(Path source, Path dir, Manifest manifest, String sha256, PipelineConfig pipeline, GaussianStats stats,
                List<SelfTestImage> selfTests) {
        this.source = source;
        this.dir = dir;
        this.manifest = manifest;
        this.sha256 = sha256;
        this.pipeline = pipeline;
        this.stats = stats;
        this.selfTests = List.copyOf(selfTests);
    }

    /** Where the bundle was read from: its directory, or the .zip it was extracted from. */
    public Path source() {
        return source;
    }

    /** The bundle directory; for a zip, the private temporary directory it was extracted into. */
    public Path dir() {
        return dir;
    }

    public Manifest manifest() {
        return manifest;
    }

    public PipelineConfig pipeline() {
        return pipeline;
    }

    public GaussianStats stats() {
        return stats;
    }

    public Path backbonePath() {
        return dir.resolve(manifest.backbone().file());
    }

    /** The d kept channel indices into the full embedding, ascending (a copy). */
    public int[] channels() {
        return manifest.embedding().channels().clone();
    }

    /** Lower-case hex sha256 of the manifest.json bytes: the bundle's identity, since the manifest pins every other file. */
    public String sha256() {
        return sha256;
    }

    public String id() {
        return manifest.id();
    }

    public List<SelfTestImage> selfTests() {
        return selfTests;
    }

    /** Image-score threshold: a score above it is NG. */
    public double imageThreshold() {
        return pipeline.threshold().image().value();
    }

    /** Anomaly-map threshold for defect regions, or NaN when the bundle has none (e.g. imported without one). */
    public double pixelThreshold() {
        PipelineConfig.PixelThreshold pixel = pipeline.threshold().pixel();
        return pixel == null ? Double.NaN : pixel.value();
    }

    @Override
    public String toString() {
        return "bundle " + manifest.id() + " (" + sha256.substring(0, 12) + ") from " + source;
    }
}
