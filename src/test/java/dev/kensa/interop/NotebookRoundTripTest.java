package dev.kensa.interop;

import dev.kensa.array.Npy;
import dev.kensa.array.NpyArray;
import dev.kensa.testing.PythonNumpy;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.eval.EvalReport;
import dev.kensa.eval.Evaluator;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.MethodScorer;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A bundle fitted on bottle, exported to a notebook folder and imported again scores every bottle test image as the
 * original does and gives the same evaluation figures; NumPy, handed the exported arrays, recomputes one image's
 * distances as Kensa computes them. Kept quick: PaDiM on layer2+layer3 (the 28x28 grid), d=10, fitted on 20 of the
 * training images.
 */
class NotebookRoundTripTest {
    static final int THREADS = 2;
    static final int BATCH = 8;

    @TempDir
    static Path tmp;
    static Path train;
    static ModelBundle fitted;
    static ModelBundle imported;
    static Path notebook;

    @BeforeAll
    static void fitExportImport() throws IOException {
        train = trainSubset("train", 20);
        FitOptions o = FitOptions.defaults(train, TestData.backbone(), tmp.resolve("fitted"))
                .withLayers(List.of("layer2", "layer3"))
                .withMethodOptions(new MethodOptions(10, 42L, MethodOptions.DEFAULT_EPS, 0.01, 128, 9, false, 2L << 30));
        o = new FitOptions(o.trainDir(), o.backbone(), o.output(), null, null, "bottle", o.method(), o.layers(),
                o.methodOptions(), o.fpr(), o.margin(), o.heldOut(), o.folds(), o.calibrate(), o.resize(), o.crop(),
                o.sigma(), BATCH, THREADS);
        fitted = BundleFitter.fit(o, false).bundle();
        notebook = tmp.resolve("notebook");
        NotebookExport.run(fitted.dir(), notebook);
        imported = NotebookImport.run(options(notebook, tmp.resolve("imported")), note -> { });
    }

    static NotebookImport.Options options(Path notebook, Path out) {
        return new NotebookImport.Options(notebook, out, TestData.backbone(), List.of(train), null, null, null, null,
                false, THREADS, BATCH);
    }

    /** The first {@code n} training images, copied into a folder of their own. */
    static Path trainSubset(String name, int n) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().limit(n).toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void importOfTheExportScoresEveryTestImageAsTheOriginalAndGivesTheSameEvaluation() {
        assertEquals(new ArrayList<>(List.of("layer2", "layer3")), new ArrayList<>(imported.model().layers()));
        assertEquals("28x28", imported.model().grid().toString());
        Evaluator.Evaluation before = Evaluator.evaluateBundle(TestData.bottle(), fitted, THREADS, BATCH);
        Evaluator.Evaluation after = Evaluator.evaluateBundle(TestData.bottle(), imported, THREADS, BATCH);
        assertEquals(83, before.scores().length);
        assertEquals(before.images(), after.images());
        double worst = 0;
        for (int i = 0; i < before.scores().length; i++) {
            double rel = Math.abs(after.scores()[i] - before.scores()[i]) / Math.abs(before.scores()[i]);
            worst = Math.max(worst, rel);
            assertTrue(rel <= 1e-5, before.images().get(i) + ": " + before.scores()[i] + " before, " + after.scores()[i] + " after");
        }
        EvalReport a = before.report();
        EvalReport b = after.report();
        assertEquals(0, a.errors());
        assertEquals(0, b.errors());
        assertEquals(a.imageAuroc(), b.imageAuroc(), 1e-12);
        assertEquals(a.pixelAuroc(), b.pixelAuroc(), 1e-9);
        assertEquals(a.aupro(), b.aupro(), 1e-9);
        assertEquals(a.f1Max(), b.f1Max(), 1e-12);
        assertEquals(a.threshold(), b.threshold());
        assertEquals(a.thresholdSource(), b.thresholdSource());
        assertEquals(a.thresholdFpr(), b.thresholdFpr());
        assertEquals(a.thresholdTpr(), b.thresholdTpr());
        assertTrue(a.imageAuroc() > 0.9, "a working model: image AUROC " + a.imageAuroc());
        System.out.printf("round trip: max relative score difference %.3g over %d images; image AUROC %.4f/%.4f,"
                        + " pixel AUROC %.4f/%.4f, AUPRO %.4f/%.4f, F1-max %.4f/%.4f%n", worst, before.scores().length,
                a.imageAuroc(), b.imageAuroc(), a.pixelAuroc(), b.pixelAuroc(), a.aupro(), b.aupro(), a.f1Max(), b.f1Max());
    }

    @Test
    void exportOfTheImportGivesTheSameArraysBack() throws IOException {
        Path again = tmp.resolve("notebook-again");
        NotebookExport.run(imported.dir(), again);
        for (String f : List.of("padim/mean.npy", "padim/idx.npy")) {
            assertArrayEquals(Files.readAllBytes(notebook.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
        double[] q1 = Npy.read(notebook.resolve("padim/inv_cov.npy")).doubles();
        double[] q2 = Npy.read(again.resolve("padim/inv_cov.npy")).doubles();
        assertEquals(q1.length, q2.length);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < q1.length; i++) {
            scale = Math.max(scale, Math.abs(q1[i]));
            diff = Math.max(diff, Math.abs(q1[i] - q2[i]));
        }
        assertTrue(diff <= 1e-5 * scale, "inverse covariances differ by " + diff + " (largest entry " + scale + ")");
        String json = Files.readString(again.resolve(Notebook.FIXED_PIPELINE));
        assertEquals(FixedPipelineJson.read(notebook.resolve(Notebook.FIXED_PIPELINE)).pipeline().threshold(),
                FixedPipelineJson.parse(json, "again").pipeline().threshold());
    }

    /** Global Mahalanobis and PatchCore make the same trip (fitted on 4 images, scored on 4). */
    @ParameterizedTest
    @ValueSource(strings = {"mahalanobis", "patchcore"})
    void otherMethodsMakeTheSameTrip(String method) throws IOException {
        Path small = tmp.resolve("train-" + method);
        if (!Files.exists(small)) {
            small = trainSubset("train-" + method, 4);
        }
        FitOptions d = FitOptions.defaults(small, TestData.backbone(), tmp.resolve(method)).withMethod(method).withCalibrate(false);
        FitOptions o = new FitOptions(d.trainDir(), d.backbone(), d.output(), null, null, method, method, null,
                d.methodOptions().withCoresetRatio(0.1), d.fpr(), d.margin(), d.heldOut(), d.folds(), false, d.resize(),
                d.crop(), d.sigma(), BATCH, THREADS);
        ModelBundle original = BundleFitter.fit(o, false).bundle();
        Path nb = tmp.resolve(method + "-notebook");
        NotebookExport.run(original.dir(), nb);
        ModelBundle back = NotebookImport.run(options(nb, tmp.resolve(method + "-imported")), note -> { });
        assertEquals(original.method(), back.method());
        List<ImageInput> images = new ArrayList<>();
        for (String t : List.of("good", "broken_large")) {
            try (Stream<Path> s = Files.list(TestData.bottle().resolve("test").resolve(t))) {
                s.sorted().limit(2).forEach(p -> images.add(ImageInput.of(p)));
            }
        }
        double[] a = scores(original, images);
        double[] b = scores(back, images);
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] > 0);
            assertEquals(a[i], b[i], 1e-5 * a[i], method + " " + images.get(i).source());
        }
    }

    private static double[] scores(ModelBundle bundle, List<ImageInput> images) {
        double[] s = new double[images.size()];
        try (Inspector inspector = Inspectors.openCpu(bundle, THREADS, BATCH)) {
            inspector.inspect(images, in -> s[in.index()] = in.result().score());
        }
        return s;
    }

    /**
     * NumPy loads the exported mean, inv_cov and idx, gathers the kept channels from the full layer2+layer3
     * embedding of one image (nearest-upsampled, as Kensa gives it) and computes sqrt((x - mu)^T Q (x - mu)) at every
     * position; the fitted bundle's scorer gives the same 784 distances.
     */
    @Test
    void numpyRecomputesOneImagesDistancesFromTheExportedArrays() throws Exception {
        String python = PythonNumpy.python3("NumPy distance check");
        PadimModel model = (PadimModel) fitted.model();
        Path image = TestData.bottle().resolve("test/broken_large/000.png");
        int positions = model.grid().positions();
        int total = 128 + 256;
        float[][] full = new float[1][];
        float[] kensa = new float[positions];
        FeatureExtractor fx = new FeatureExtractor(Inspectors.preprocessor(fitted.manifest().backbone().input(), fitted.pipeline()),
                new OnnxRuntimeBackbone(fitted.backbonePath(), model.layers(), THREADS), THREADS);
        try (fx; MethodScorer scorer = model.scorer(MethodModel.ScorerSpec.cpu(THREADS, 1))) {
            int[] all = new int[total];
            for (int c = 0; c < total; c++) {
                all[c] = c;
            }
            fx.forEachBatch(List.of(ImageInput.of(image)), 1, batch -> {
                full[0] = new EmbeddingExtractor(all).extract(batch.maps());
                scorer.score(batch.maps(), kensa, new double[1]);
            });
        }
        Path embedding = tmp.resolve("embedding.npy");
        Npy.write(embedding, NpyArray.of(full[0], positions, total));
        Path out = tmp.resolve("numpy-distances.npy");
        String script = """
                import sys
                import numpy as np
                nb, x, out = sys.argv[1], np.load(sys.argv[2]), sys.argv[3]
                mean = np.load(nb + '/padim/mean.npy')
                inv_cov = np.load(nb + '/padim/inv_cov.npy')
                idx = np.load(nb + '/padim/idx.npy')
                e = x[:, idx].astype(np.float64) - mean
                np.save(out, np.sqrt(np.einsum('pi,pij,pj->p', e, inv_cov, e)))
                """;
        Process p = new ProcessBuilder(python, "-c", script, notebook.toString(), embedding.toString(), out.toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("python3 failed: " + said);
        }
        double[] numpy = Npy.read(out).doubles();
        assertEquals(positions, numpy.length);
        double worst = 0;
        for (int i = 0; i < positions; i++) {
            assertTrue(kensa[i] > 0);
            double rel = Math.abs(kensa[i] - numpy[i]) / numpy[i];
            worst = Math.max(worst, rel);
            assertTrue(rel <= 1e-4, "position " + i + ": Kensa " + kensa[i] + ", NumPy " + numpy[i]);
        }
        System.out.printf("NumPy distances: %d positions, max relative difference %.3g%n", positions, worst);
    }
}
