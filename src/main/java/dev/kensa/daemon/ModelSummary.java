package dev.kensa.daemon;

import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.method.Methods;
import dev.kensa.model.ModelManager;
import dev.kensa.model.ModelStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the status ({@link Status.Model}) and the model API ({@code GET /api/v1/model}) both say of a model, built in
 * one place: its identity, and the threshold in force beside the bundle's own.
 *
 * @param threshold       the threshold in force (an override's, else the bundle's)
 * @param thresholdSource where it comes from: {@code bundle} or {@code override}
 * @param calibration     how the bundle's threshold was chosen (its {@code pipeline.json} source)
 */
public record ModelSummary(String id, String name, String sha256, String method, String created, double threshold,
                           String thresholdSource, double bundleThreshold, String calibration) {

    /** The active (loaded) model. */
    public static ModelSummary of(ModelManager.Loaded a) {
        Manifest mf = a.bundle().manifest();
        return new ModelSummary(a.bundle().id(), mf.name(), a.bundle().sha256(), a.bundle().method(), mf.created(),
                a.inspector().threshold(), a.inspector().thresholdInForce().source(), a.bundle().imageThreshold(),
                a.bundle().pipeline().threshold().image().source());
    }

    /**
     * A bundle as the store holds it, not loaded (the previous one, which a rollback would bring back): its manifest
     * and pipeline read through the bundle reader, the override the store keeps for it.
     *
     * @throws IOException or a {@link dev.kensa.KensaException} when the stored bundle cannot be read
     */
    public static ModelSummary stored(ModelStore store, String name) throws IOException {
        Path dir = store.bundleDir(name);
        // a bundle's identity is the sha256 of its manifest bytes, as BundleReader defines it
        String sha = Checksums.sha256Hex(Files.readAllBytes(dir.resolve(BundleReader.MANIFEST)));
        Manifest mf = BundleReader.readManifest(dir);
        PipelineConfig.ImageThreshold t = BundleReader.readPipeline(dir).threshold().image();
        ModelStore.ThresholdOverride o = store.state().overrides().get(sha);
        return new ModelSummary(mf.id(), mf.name(), sha, mf.method() != null ? mf.method() : Methods.DEFAULT,
                mf.created(), o != null ? o.value() : t.value(), o != null ? "override" : "bundle", t.value(), t.source());
    }
}
