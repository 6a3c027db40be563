package dev.kensa.method;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.KensaException;
import dev.kensa.TestData;
import dev.kensa.bundle.BundleException;
import dev.kensa.bundle.BundleJson;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.gaussian.GlobalMahalanobisModel;
import dev.kensa.method.patchcore.PatchCoreModel;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.pipeline.SelfTest;
import dev.kensa.verdict.Verdict;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PatchCore and global Mahalanobis through the same seam as PaDiM, on 16 real bottle images and the real backbone:
 * fit, the bundle they write and read back, inspection, self-test, and the bad input each method refuses.
 */
class MethodsTest {
    @TempDir
    static Path tmp;
    static Path train;
    static ModelBundle patchcore;
    static ModelBundle mahalanobis;

    @BeforeAll
    static void fit() throws Exception {
        train = Files.createDirectories(tmp.resolve("train"));
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 16; i++) {
                Files.copy(all.get(i * 13), train.resolve(all.get(i * 13).getFileName()));
            }
        }
        patchcore = BundleFitter.fit(options("patchcore", "pc").withMethodOptions(MethodOptions.defaults().withCoresetRatio(0.05)),
                false).bundle();
        mahalanobis = BundleFitter.fit(options("mahalanobis", "mh"), false).bundle();
    }

    static FitOptions options(String method, String out) {
        return FitOptions.defaults(train, TestData.backbone(), tmp.resolve(out)).withMethod(method);
    }

    static List<ImageInput> tests() throws Exception {
        List<ImageInput> in = new ArrayList<>();
        for (String type : List.of("good", "broken_large")) {
            try (var s = Files.list(TestData.bottle().resolve("test").resolve(type))) {
                s.sorted().limit(2).map(ImageInput::of).forEach(in::add);
            }
        }
        return in;
    }

    static List<Inspection> inspect(ModelBundle b) throws Exception {
        List<Inspection> out = new ArrayList<>();
        try (Inspector inspector = Inspectors.openCpu(b, 2, 4)) {
            inspector.inspect(tests(), out::add);
            for (Inspection in : out) {
                byte[] jpeg = inspector.heatmapJpeg(in);
                assertTrue(jpeg.length > 1000 && (jpeg[0] & 0xff) == 0xff && (jpeg[1] & 0xff) == 0xd8, "a JPEG heatmap");
            }
        }
        return out;
    }

    @Test
    void patchCoreBundleSaysItsMethodAndScoresGoodBelowBroken() throws Exception {
        assertEquals("patchcore", patchcore.method());
        assertEquals("patchcore", patchcore.manifest().method());
        assertEquals(List.of("layer2", "layer3"), patchcore.manifest().backbone().outputs());
        PatchCoreModel m = (PatchCoreModel) patchcore.model();
        assertEquals(new Grid(28, 28), m.grid());
        assertEquals(384, m.bank().dims());
        assertEquals(Math.round(0.05 * 16 * 784), m.bank().rows());
        assertTrue(patchcore.manifest().sha256().containsKey(PatchCoreModel.BANK_FILE));
        assertNull(patchcore.manifest().stats(), "no PaDiM statistics in a PatchCore bundle");
        assertTrue(SelfTest.run(patchcore, 2).passed());
        List<Inspection> r = inspect(patchcore);
        double maxGood = Math.max(r.get(0).result().score(), r.get(1).result().score());
        double minBroken = Math.min(r.get(2).result().score(), r.get(3).result().score());
        assertTrue(minBroken > maxGood, "broken " + minBroken + " vs good " + maxGood);
        assertEquals(Verdict.NG, r.get(3).result().verdict());
        assertNotNull(r.get(3).map());
        assertEquals(224, r.get(3).map().width());
        assertTrue(!r.get(3).result().regions().isEmpty(), "a broken bottle has a defect region");
        // the image score is the reweighted max patch distance, a little below the map's unreweighted peak
        assertTrue(r.get(3).result().score() < r.get(3).map().score() * 1.01, r.get(3).result() + " vs map " + r.get(3).map().score());
    }

    @Test
    void patchCoreBankReadBackScoresIdenticallyAndFloat16StaysClose() throws Exception {
        ModelBundle again = BundleReader.read(patchcore.dir());
        assertEquals(patchcore.sha256(), again.sha256());
        List<Inspection> a = inspect(patchcore);
        List<Inspection> b = inspect(again);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).result().score(), b.get(i).result().score(), 0.0);
        }
        ModelBundle f16 = BundleFitter.fit(options("patchcore", "pc16").withMethodOptions(
                MethodOptions.defaults().withCoresetRatio(0.05).withFloat16(true)), false).bundle();
        assertEquals("float16", ((PatchCoreModel) f16.model()).bank().dtypeName());
        assertEquals(Files.size(patchcore.dir().resolve(PatchCoreModel.BANK_FILE)) - 64,
                2 * (Files.size(f16.dir().resolve(PatchCoreModel.BANK_FILE)) - 64), "half the bytes");
        List<Inspection> h = inspect(f16);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).result().score(), h.get(i).result().score(), 0.003 * a.get(i).result().score(), "image " + i);
        }
    }

    @Test
    void globalMahalanobisScoresImagesWithoutAMap() throws Exception {
        assertEquals("mahalanobis", mahalanobis.method());
        GlobalMahalanobisModel m = (GlobalMahalanobisModel) mahalanobis.model();
        assertNull(m.grid());
        assertEquals(448, m.stats().dims());
        assertTrue(m.shrinkage() > 0 && m.shrinkage() < 1, "Ledoit-Wolf shrinks with 16 images in 448 dims: " + m.shrinkage());
        assertTrue(SelfTest.run(mahalanobis, 2).passed());
        List<Inspection> r = inspect(mahalanobis);
        for (Inspection in : r) {
            assertNull(in.map(), "no anomaly map");
            assertTrue(in.result().regions().isEmpty(), "no regions without a map");
            assertTrue(in.result().score() > 0);
        }
        assertTrue(r.get(3).result().score() > r.get(0).result().score());
    }

    @Test
    void badInputIsOneLineAndNamesTheProblem() throws Exception {
        KensaException unknown = assertThrows(KensaException.class, () -> BundleFitter.fit(options("knn", "x1"), false));
        assertEquals("unknown method 'knn': this build has padim, patchcore, mahalanobis", unknown.getMessage());
        KensaException ratio = assertThrows(KensaException.class, () -> BundleFitter.fit(options("patchcore", "x2")
                .withMethodOptions(MethodOptions.defaults().withCoresetRatio(1.5)), false));
        assertEquals("patchcore: coreset ratio must be in (0, 1], got 1.5", ratio.getMessage());
        KensaException layers = assertThrows(KensaException.class, () -> BundleFitter.fit(options("patchcore", "x3")
                .withLayers(List.of("layer2", "layer4")), false));
        assertTrue(layers.getMessage().contains("no output named 'layer4'"), layers.getMessage());
        MethodOptions tiny = new MethodOptions(100, 42, 0.01, 0.01, 128, 9, false, 1L << 20);
        KensaException bank = assertThrows(KensaException.class, () -> BundleFitter.fit(options("patchcore", "x4")
                .withMethodOptions(tiny), false));
        assertTrue(bank.getMessage().startsWith("patchcore: the full patch bank of 16 images would be 16 x 784 x 384 float32 = 18 MB,"
                + " over the limit of 1 MB"), bank.getMessage());
        for (String out : List.of("x1", "x2", "x3", "x4")) {
            assertTrue(!Files.exists(tmp.resolve(out)), "nothing written for " + out);
        }
    }

    @Test
    void aBankThatDisagreesWithItsManifestIsRefused() throws Exception {
        Path copy = tmp.resolve("tampered");
        copyTree(patchcore.dir(), copy);
        ObjectNode manifest = (ObjectNode) BundleJson.MAPPER.readTree(copy.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.path("model").path("memoryBank")).put("rows", 10);
        BundleJson.MAPPER.writeValue(copy.resolve("manifest.json").toFile(), manifest);
        BundleException e = assertThrows(BundleException.class, () -> BundleReader.read(copy));
        assertTrue(e.getMessage().contains("memory_bank.bin: header says") && e.getMessage().contains("but the manifest says 10 x 384"),
                e.getMessage());

        // and a manifest naming a method this build does not have
        manifest.put("method", "knn");
        BundleJson.MAPPER.writeValue(copy.resolve("manifest.json").toFile(), manifest);
        BundleException unknown = assertThrows(BundleException.class, () -> BundleReader.read(copy));
        assertTrue(unknown.getMessage().endsWith("manifest method \"knn\" is not known to this build (padim, patchcore, mahalanobis)"),
                unknown.getMessage());
        assertTrue(Checksums.sha256Hex(Files.readAllBytes(copy.resolve(PatchCoreModel.BANK_FILE))).length() == 64);
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
