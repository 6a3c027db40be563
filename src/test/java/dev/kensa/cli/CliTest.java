package dev.kensa.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI as a person uses it: real commands, real files. Every failure is one line on stderr and a non-zero
 * exit, never a stack trace.
 */
class CliTest {
    @TempDir
    static Path tmp;
    static Path bundle;

    record Run(int exit, String out, String err) {
    }

    static Run kensa(String... args) {
        CommandLine cl = KensaMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static void assertOneLineError(Run r, String expected) {
        assertTrue(r.exit() != 0, "non-zero exit");
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "exactly one line on stderr: " + r.err());
        assertTrue(lines.get(0).startsWith("kensa: error: "), lines.get(0));
        assertTrue(lines.get(0).contains(expected), "'" + lines.get(0) + "' should say " + expected);
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @BeforeAll
    static void fit() throws Exception {
        Path train = tmp.resolve("train");
        Files.createDirectories(train);
        try (var s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().limit(10).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        bundle = tmp.resolve("bundle");
        Run r = kensa("fit", train.toString(), "-o", bundle.toString(), "--backbone", TestData.backbone().toString(),
                "--fpr", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(bundle.toString(), r.out().trim());
        assertTrue(r.err().contains("threshold"), r.err());
        assertTrue(r.err().contains("expected false-reject rate 0 % (95 % CI 0–30.8 %, 10 goods)"), r.err());
    }

    @Test
    void bundleInfoShowsTheCalibrationOrSaysThereIsNone() throws Exception {
        Run info = kensa("bundle", "info", bundle.toString());
        assertEquals(0, info.exit(), info.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.out());
        // the method's default calibration mode (k-fold or leave-one-out)
        String mode = json.at("/calibration/method").asText();
        assertTrue(mode.equals("kfold") || mode.equals("loo"), "stdout stays one JSON document: " + info.out());
        assertEquals(10, json.at("/calibration/goods").asInt());
        assertTrue(info.err().contains("calibration: 10 goods, " + (mode.equals("loo") ? "leave-one-out scores"
                : "k-fold out-of-fold scores (k=5)") + "; threshold "), info.err());
        assertTrue(info.err().contains(" threshold ") && info.err().contains("(above: NG) "), "the histogram is split at the threshold: " + info.err());
        assertTrue(info.err().contains("expected false-reject rate 0 % (95 % CI 0–30.8 %, 10 goods)"), info.err());

        Path old = tmp.resolve("old-bundle");
        copyTree(bundle, old);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var manifest = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(old.resolve("manifest.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) manifest.get("sha256")).remove("calibration.json");
        mapper.writerWithDefaultPrettyPrinter().writeValue(old.resolve("manifest.json").toFile(), manifest);
        Files.delete(old.resolve("calibration.json"));
        Run oldInfo = kensa("bundle", "info", old.toString());
        assertEquals(0, oldInfo.exit(), oldInfo.err());
        assertTrue(oldInfo.err().startsWith("no calibration record (bundle older than calibration.json)"), oldInfo.err());
        assertTrue(mapper.readTree(oldInfo.out()).get("calibration").isNull());
    }

    @Test
    void inspectPrintsOneResultPerImageAndWritesHeatmaps() throws Exception {
        Path heat = tmp.resolve("heat");
        Path broken = TestData.bottle().resolve("test/broken_large/000.png");
        Path good = TestData.bottle().resolve("test/good/000.png");
        Run r = kensa("inspect", "-m", bundle.toString(), "--heatmaps", heat.toString(), good.toString(), broken.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        JsonNode second = new ObjectMapper().readTree(lines.get(1));
        assertEquals(good.toString(), first.get("source").asText());
        assertEquals("NG", second.get("verdict").asText());
        assertTrue(second.get("normalizedScore").asDouble() > 1);
        // both images are called 000.png: each line names its own heatmap, laid out like the images' folders
        assertEquals(heat.resolve("good/000.heatmap.jpg").toString(), first.get("heatmap").asText());
        assertEquals(heat.resolve("broken_large/000.heatmap.jpg").toString(), second.get("heatmap").asText());
        assertTrue(Files.size(heat.resolve("good/000.heatmap.jpg")) > 1000);
        assertTrue(Files.size(heat.resolve("broken_large/000.heatmap.jpg")) > 1000);
    }

    @Test
    void inspectOfAFolderTreeGivesEveryImageItsOwnHeatmapFile() throws Exception {
        Path tree = tmp.resolve("line");
        Path png = TestData.bottle().resolve("test/good/002.png");
        for (String rel : List.of("cam1/000.png", "cam2/000.png", "cam2/000.jpg", "cam2/night/000.png")) {
            Files.createDirectories(tree.resolve(rel).getParent());
            Files.copy(png, tree.resolve(rel)); // a PNG named .jpg decodes by its content
        }
        Path heat = tmp.resolve("tree-heat");
        Run r = kensa("inspect", "-m", bundle.toString(), "--heatmaps", heat.toString(), tree.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> heatmaps = new java.util.ArrayList<>();
        List<String> sources = new java.util.ArrayList<>();
        for (String line : r.out().lines().toList()) {
            JsonNode j = new ObjectMapper().readTree(line);
            sources.add(tree.relativize(Path.of(j.get("source").asText())).toString());
            heatmaps.add(heat.relativize(Path.of(j.get("heatmap").asText())).toString());
            assertTrue(Files.size(Path.of(j.get("heatmap").asText())) > 1000, line);
        }
        assertEquals(List.of("cam1/000.png", "cam2/000.jpg", "cam2/000.png", "cam2/night/000.png"), sources, "tree order");
        assertEquals(List.of("cam1/000.heatmap.jpg", "cam2/000.jpg.heatmap.jpg", "cam2/000.png.heatmap.jpg",
                "cam2/night/000.heatmap.jpg"), heatmaps);
        try (var files = Files.walk(heat)) {
            assertEquals(4, files.filter(Files::isRegularFile).count(), "one file per result, none overwritten");
        }
    }

    @Test
    void corruptImageAndNonImageFileGiveErrorResultsAndExitOne() throws Exception {
        Path bad = tmp.resolve("bad.png");
        byte[] png = Files.readAllBytes(TestData.bottle().resolve("test/good/001.png"));
        Files.write(bad, java.util.Arrays.copyOf(png, 5000));
        Path txt = tmp.resolve("readme.txt");
        Files.writeString(txt, "hello");
        Run r = kensa("inspect", "-m", bundle.toString(), "--heatmaps", "none", bad.toString(), txt.toString());
        assertEquals(1, r.exit());
        List<String> results = r.out().lines().toList();
        assertEquals(2, results.size());
        for (String line : results) {
            JsonNode j = new ObjectMapper().readTree(line);
            assertEquals("ERROR", j.get("verdict").asText());
            assertTrue(j.get("error").asText().length() > 10);
        }
        assertEquals(2, r.err().lines().filter(l -> l.startsWith("kensa: error: ")).count(), r.err());
        assertFalse(r.err().contains("\tat "));
    }

    @Test
    void inspectAppliesTheImageQualityGatesAndQualityOffSwitchesChecksOff() throws Exception {
        Path black = tmp.resolve("gates/black.png");
        Path small = tmp.resolve("gates/small.png");
        Files.createDirectories(black.getParent());
        try (org.bytedeco.opencv.opencv_core.Mat m = dev.kensa.testing.CameraFaults.decode(TestData.bottle().resolve("test/good/000.png"))) {
            Files.write(black, dev.kensa.testing.CameraFaults.png(dev.kensa.testing.CameraFaults.solid(m, 0)));
            Files.write(small, dev.kensa.testing.CameraFaults.png(dev.kensa.testing.CameraFaults.resized(m, 120, 120)));
        }
        Run r = kensa("inspect", "-m", bundle.toString(), "--heatmaps", "none", black.toString(), small.toString());
        assertEquals(1, r.exit(), r.err());
        List<JsonNode> results = new java.util.ArrayList<>();
        for (String line : r.out().lines().toList()) {
            results.add(new ObjectMapper().readTree(line));
        }
        assertEquals("ERROR", results.get(0).get("verdict").asText());
        assertTrue(results.get(0).get("error").asText().startsWith("image-quality: brightness: 0 outside ["), results.get(0).toString());
        assertTrue(results.get(1).get("error").asText().startsWith("image-quality: size: 120x120 outside ["), results.get(1).toString());
        assertTrue(r.err().contains("kensa: error: " + black + ": image-quality: brightness: 0 outside ["), r.err());
        // the thumbnail, with size (and focus, which upscaling it from 120 px lowers) switched off, is scored
        Run off = kensa("inspect", "-m", bundle.toString(), "--heatmaps", "none", "--quality-off", "size,focus", small.toString());
        assertEquals(0, off.exit(), off.err());
        assertTrue(new ObjectMapper().readTree(off.out()).get("score").isNumber(), off.out());
        assertOneLineError(kensa("inspect", "-m", bundle.toString(), "--quality-off", "sharpness", small.toString()),
                "unknown image-quality check 'sharpness' (known: size, aspect, brightness, contrast, focus)");
    }

    @Test
    void benchReportsEveryStageAndFigurePerBatchAndNamesTheBackend() throws Exception {
        Path json = tmp.resolve("bench.json");
        // a dataset's test folder holds only subfolders: searched recursively
        Run r = kensa("bench", "-m", bundle.toString(), TestData.bottle().resolve("test").toString(), "--count", "8", "--batches", "1,4",
                "--threads", "2", "--soak", "8", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("(host route)"), r.out());
        assertTrue(r.out().contains("gpu unavailable: no GPU") || r.out().contains("fused"), r.out());
        assertFalse(r.out().contains("UnsatisfiedLinkError"), "a CPU box is said in words: " + r.out());
        for (String row : List.of("decode", "quality", "backbone", "gather", "mahalanobis ", "mahalanobis-f16", "post", "heatmap")) {
            assertTrue(r.out().contains("\n" + row), "row " + row + " in\n" + r.out());
        }
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, report.get("runs").size());
        for (JsonNode run : report.get("runs")) {
            assertEquals("fp32", run.get("precision").asText());
            for (String figure : List.of("endToEndImagesPerS", "predecodedImagesPerS", "backboneOnlyImagesPerS",
                    "mahalanobisOverBackbone")) {
                assertTrue(run.get(figure).asDouble() > 0, figure + " in " + run);
            }
            JsonNode backbone = null;
            for (JsonNode stage : run.get("stages")) {
                if (stage.get("stage").asText().equals("backbone")) {
                    backbone = stage;
                }
            }
            assertTrue(backbone != null, "a backbone stage in " + run.get("stages"));
            assertTrue(backbone.get("meanMs").asDouble() > 0);
        }
        assertEquals(8, report.get("soak").get("images").asInt());
        assertOneLineError(kensa("bench", "-m", bundle.toString(), TestData.bottle().resolve("test/good").toString(),
                "--backend", "tensorrt"), "TensorRT/CUDA is not available");
    }

    @Test
    void fitWithResizeEqualToTheCropSeesTheWholeFieldAndStoresItsGeometry() throws Exception {
        Path train = tmp.resolve("train");
        Path whole = tmp.resolve("whole-field");
        Run r = kensa("fit", train.toString(), "-o", whole.toString(), "--backbone", TestData.backbone().toString(),
                "--fpr", "0", "--resize", "224");
        assertEquals(0, r.exit(), r.err());
        JsonNode image = new ObjectMapper().readTree(whole.resolve("pipeline.json").toFile()).get("image");
        assertEquals(224, image.get("resize").asInt(), image.toString());
        assertEquals(224, image.get("crop").asInt(), image.toString());
        JsonNode defaults = new ObjectMapper().readTree(bundle.resolve("pipeline.json").toFile()).get("image");
        assertEquals(256, defaults.get("resize").asInt(), "the default keeps the centre crop: " + defaults);

        Run inspect = kensa("inspect", "-m", whole.toString(), TestData.bottle().resolve("test/broken_large/000.png").toString());
        assertEquals(0, inspect.exit(), inspect.err());
        JsonNode result = new ObjectMapper().readTree(inspect.out());
        assertEquals("NG", result.get("verdict").asText(), result.toString());
        // regions are in the original image's pixels: with no crop they may reach its edges, never past them
        for (JsonNode region : result.get("regions")) {
            assertTrue(region.get("x").asInt() >= 0 && region.get("x").asInt() + region.get("w").asInt() <= 900, region.toString());
            assertTrue(region.get("y").asInt() >= 0 && region.get("y").asInt() + region.get("h").asInt() <= 900, region.toString());
        }
    }

    @Test
    void cropAboveTheResizeOrOtherThanTheBackboneInputIsAClearError() throws Exception {
        assertOneLineError(kensa("fit", TestData.bottleTrain().toString(), "-o", tmp.resolve("c1").toString(),
                "--backbone", TestData.backbone().toString(), "--resize", "200"), "--resize 200 --crop 224: the crop must be positive and not above the resize");
        assertOneLineError(kensa("eval", TestData.bottle().toString(), "--backbone", TestData.backbone().toString(),
                "--crop", "0"), "the crop must be positive");
        assertOneLineError(kensa("fit", TestData.bottleTrain().toString(), "-o", tmp.resolve("c2").toString(),
                "--backbone", TestData.backbone().toString(), "--resize", "300", "--crop", "256"),
                "backbone takes 224x224 but the pipeline crops 256");
        assertFalse(Files.exists(tmp.resolve("c2")), "nothing written for a refused fit");
    }

    @Test
    void emptyFolderIsAClearError() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertOneLineError(kensa("fit", empty.toString(), "-o", tmp.resolve("x").toString(), "--backbone",
                TestData.backbone().toString()), "has no images");
    }

    @Test
    void missingBackboneIsAClearError() throws Exception {
        assertOneLineError(kensa("fit", TestData.bottleTrain().toString(), "-o", tmp.resolve("y").toString(),
                "--backbone", tmp.resolve("nope.onnx").toString()), "backbone not found");
    }

    @Test
    void backboneThatIsNotOnnxIsAClearError() throws Exception {
        Path fake = tmp.resolve("fake.onnx");
        Files.writeString(fake, "not a model");
        assertOneLineError(kensa("fit", TestData.bottleTrain().toString(), "-o", tmp.resolve("z").toString(),
                "--backbone", fake.toString()), "does not load");
    }

    @Test
    void bundleWithWrongChecksumIsRefused() throws Exception {
        Path copy = tmp.resolve("tampered");
        copyTree(bundle, copy);
        Path stats = copy.resolve("stats.bin");
        byte[] b = Files.readAllBytes(stats);
        b[b.length - 1] ^= 1;
        Files.write(stats, b);
        assertOneLineError(kensa("inspect", "-m", copy.toString(), TestData.bottle().resolve("test/good/000.png").toString()),
                "stats.bin");
        assertOneLineError(kensa("bundle", "verify", copy.toString()), "sha256");
    }

    @Test
    void bundleVerifyRunsTheSelfTest() {
        Run r = kensa("bundle", "verify", bundle.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("self-test passed"), r.out());
        Run info = kensa("bundle", "info", bundle.toString());
        assertEquals(0, info.exit());
        assertTrue(info.out().contains("kensa-bundle/1"));
    }

    @Test
    void keygenSignAndVerifyWithPublicKey() throws Exception {
        Path signed = tmp.resolve("signed");
        copyTree(bundle, signed);
        String prefix = tmp.resolve("line-7").toString();
        assertEquals(0, kensa("bundle", "keygen", prefix).exit());
        assertOneLineError(kensa("bundle", "verify", signed.toString(), "--public-key", prefix + ".pub"), "unsigned bundle refused");
        Run sign = kensa("bundle", "sign", signed.toString(), "--key", prefix + ".key", "--zip", tmp.resolve("signed.zip").toString());
        assertEquals(0, sign.exit(), sign.err());
        Run ok = kensa("bundle", "verify", tmp.resolve("signed.zip").toString(), "--public-key", prefix + ".pub");
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().contains("signature ok") && ok.out().contains("self-test passed"), ok.out());
        assertOneLineError(kensa("bundle", "keygen", prefix), "already exists");
    }

    @Test
    void evalOnAFolderThatIsNotADatasetIsAClearError() throws Exception {
        assertOneLineError(kensa("eval", tmp.toString(), "--backbone", TestData.backbone().toString()), "train/good");
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
