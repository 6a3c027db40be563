package dev.kensa.model;

import dev.kensa.TestData;
import dev.kensa.bundle.BundleSignature;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.util.FileTrees;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a box comes up (issue 15 items 1-3): with no model, with stored bundles that a newly configured public key
 * refuses, and with {@code serve --model} after a hot swap. Real bundles fitted on bottle images, a real store.
 */
class ModelManagerTest {
    @TempDir
    static Path tmp;
    static Path bundleA;
    static Path bundleB;
    static KeyPair key;

    @TempDir
    Path store;

    @BeforeAll
    static void fitTwoBundles() throws Exception {
        bundleA = fit("a", 0);
        bundleB = fit("b", 12);
        key = BundleSignature.generate();
    }

    /** A real bundle fitted on 12 bottle training images from {@code skip}: distinct sha256 per {@code skip}. */
    static Path fit(String name, int skip) throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train-" + name));
        try (Stream<Path> s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().skip(skip).limit(12).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        return BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve(name)), false).bundle().dir();
    }

    ModelManager manager(PublicKey publicKey) {
        return new ModelManager(ModelStore.open(store), new ModelManager.Settings(publicKey, 2, 8, 1L << 30, 1000,
                1L << 31, dev.kensa.gpu.Backends.Options.of("cpu", tmp.resolve("engines"))));
    }

    /** A copy of a bundle directory (unsigned), to sign or zip without touching the shared one. */
    static Path copy(Path bundle, String as) throws Exception {
        Path to = tmp.resolve(as);
        FileTrees.delete(to);
        try (Stream<Path> s = Files.walk(bundle)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(bundle.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    static Path signedZip(Path bundle, String as) throws Exception {
        Path dir = copy(bundle, as);
        BundleSignature.sign(dir, key.getPrivate());
        Path zip = tmp.resolve(as + ".zip");
        Files.deleteIfExists(zip);
        BundleWriter.zip(dir, zip);
        return zip;
    }

    static ModelManager.Loaded swap(ModelManager m, Path zip) throws Exception {
        try (InputStream in = Files.newInputStream(zip)) {
            return m.swap(in, "test");
        }
    }

    @Test
    void anEmptyStoreWithoutAConfiguredModelComesUpWithoutOneAndSaysHowToInstallOne() {
        try (ModelManager m = manager(null)) {
            assertNull(m.start(null, false));
            assertNull(m.active());
            assertTrue(m.unavailable().startsWith("no model installed: the model store "), m.unavailable());
            assertTrue(m.unavailable().contains("kensa.model.dir is not set"), m.unavailable());
        }
    }

    @Test
    void aBundleSignedAfterItWasStoredIsServedByABoxThatGetsAPublicKey() throws Exception {
        Path a = copy(bundleA, "a-signed-later");
        try (ModelManager m = manager(null)) {
            assertNotNull(m.start(a, false));
        }
        BundleSignature.sign(a, key.getPrivate()); // the same manifest: the store already holds this bundle, unsigned
        try (ModelManager m = manager(key.getPublic())) {
            ModelManager.Loaded l = m.start(a, false);
            assertNotNull(l, () -> "refused: " + m.unavailable());
            assertEquals(ModelManagerTest.sha(a), l.bundle().sha256());
            assertTrue(Files.exists(m.store().bundleDir(l.name()).resolve(BundleSignature.FILE)),
                    "the store keeps the signature the bundle arrived with");
        }
    }

    @Test
    void aSwapToAStoredBundleTakesTheSignatureItArrivesWith() throws Exception {
        try (ModelManager m = manager(null)) {
            m.start(copy(bundleA, "a-unsigned"), false);
            swap(m, signedZip(bundleB, "b-signed"));
        }
        // the box gets a key: B (signed) is active, A is stored unsigned as the previous model
        try (ModelManager m = manager(key.getPublic())) {
            assertEquals(sha(bundleB), m.start(null, false).bundle().sha256());
            ModelManager.Loaded l = swap(m, signedZip(bundleA, "a-signed"));
            assertEquals(sha(bundleA), l.bundle().sha256());
        }
    }

    @Test
    void aBoxWithAPublicKeyFallsBackToAStoredModelItCanVerify() throws Exception {
        try (ModelManager m = manager(null)) {
            m.start(copy(signedDir(bundleB, "b-signed-dir"), "b-start"), false);
            swap(m, unsignedZip(bundleA, "a-unsigned-zip"));
        }
        try (ModelManager m = manager(key.getPublic())) {
            ModelManager.Loaded l = m.start(null, false);
            assertNotNull(l, () -> "refused: " + m.unavailable());
            assertEquals(sha(bundleB), l.bundle().sha256(), "the previous model, which is signed");
            List<Map<String, Object>> audit = m.store().auditTail(1);
            String note = String.valueOf(audit.get(0).get("note"));
            assertTrue(note.contains(idOf(bundleA)) && note.contains("unsigned bundle refused"), note);
        }
    }

    @Test
    void aBoxWithAPublicKeyAndNoModelItCanVerifySaysWhichOneItRefusedAndWhy() throws Exception {
        try (ModelManager m = manager(null)) {
            m.start(copy(bundleA, "a-only"), false);
        }
        try (ModelManager m = manager(key.getPublic())) {
            assertNull(m.start(null, false));
            String why = m.unavailable();
            assertTrue(why.startsWith("no model loads: the active model " + idOf(bundleA)), why);
            assertTrue(why.contains("unsigned bundle refused (no manifest.sig)"), why);
        }
    }

    @Test
    void aRestartKeepsTheSwappedModelAndServeModelReplacesItSayingSo() throws Exception {
        Path a = copy(bundleA, "a-first");
        try (ModelManager m = manager(null)) {
            m.start(a, true); // serve --model A, the first time
            swap(m, unsignedZip(bundleB, "b-hot"));
        }
        try (ModelManager m = manager(null)) {
            assertEquals(sha(bundleB), m.start(a, false).bundle().sha256(), "kensa.model.dir does not undo a swap");
        }
        try (ModelManager m = manager(null)) {
            assertEquals(sha(bundleA), m.start(a, true).bundle().sha256(), "serve --model A replaces B");
            assertEquals(ModelStore.nameOf(sha(bundleB)), m.store().state().previous(), "B is kept for rollback");
            String note = String.valueOf(m.store().auditTail(1).get(0).get("note"));
            assertTrue(note.contains("replaced the model store's active model " + idOf(bundleB)), note);
        }
    }

    static Path signedDir(Path bundle, String as) throws Exception {
        Path dir = copy(bundle, as);
        BundleSignature.sign(dir, key.getPrivate());
        return dir;
    }

    static Path unsignedZip(Path bundle, String as) throws Exception {
        Path zip = tmp.resolve(as + ".zip");
        Files.deleteIfExists(zip);
        BundleWriter.zip(copy(bundle, as), zip);
        return zip;
    }

    static String sha(Path bundle) {
        return dev.kensa.bundle.BundleReader.read(bundle).sha256();
    }

    static String idOf(Path bundle) {
        return dev.kensa.bundle.BundleReader.readManifest(bundle).id();
    }
}
