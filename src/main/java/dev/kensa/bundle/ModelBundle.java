package dev.kensa.bundle;

import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.method.MethodModel;

import java.nio.file.Path;
import java.util.List;

/**
 * A loaded model bundle whose files all matched their manifest checksums and whose method model, embedding and
 * pipeline agreed with each other when it was read. Only {@link BundleReader} makes one. Immutable; the model's
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
    private final MethodModel model;
    private final List<SelfTestImage> selfTests;
    private final CalibrationRecord calibration;

    ModelBundle(Path source, Path dir, Manifest manifest, String sha256, PipelineConfig pipeline, MethodModel model,
                List<SelfTestImage> selfTests, CalibrationRecord calibration) {
        this.calibration = calibration;
        this.source = source;
        this.dir = dir;
        this.manifest = manifest;
        this.sha256 = sha256;
        this.pipeline = pipeline;
        this.model = model;
        this.selfTests = List.copyOf(selfTests);
    }

    /** The same bundle after its directory was moved to {@code to} (a bundle written beside its destination). */
    ModelBundle movedTo(Path to) {
        List<SelfTestImage> moved = selfTests.stream()
                .map(t -> new SelfTestImage(to.resolve(dir.relativize(t.file())), t.expectedScore(), t.tolerance()))
                .toList();
        return new ModelBundle(to, to, manifest, sha256, pipeline, model, moved, calibration);
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

    /** pipeline.json with every optional section filled in ({@link PipelineConfig#withDefaults()}). */
    public PipelineConfig pipeline() {
        return pipeline;
    }

    /**
     * calibration.json: the scores the threshold came from, the fit images' quality statistics and learned limits;
     * null for a bundle written before the record existed (drift then waits for data, gates use absolute floors).
     */
    public CalibrationRecord calibration() {
        return calibration;
    }

    /** The method's fitted model. */
    public MethodModel model() {
        return model;
    }

    /** The detection method's name ("padim" for bundles made before methods were a choice). */
    public String method() {
        return model.method().name();
    }

    public Path backbonePath() {
        return dir.resolve(manifest.backbone().file());
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

    @Override
    public String toString() {
        return "bundle " + manifest.id() + " (" + sha256.substring(0, 12) + ", " + method() + ") from " + source;
    }
}
