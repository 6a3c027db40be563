package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.TestData;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.array.Npy;
import dev.kensa.array.NpyArray;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kensa bundle import} on a notebook folder NumPy wrote (src/test/resources/notebook/make_notebook.py: PaDiM
 * on layer3, d=3, idx not ascending), whole and then broken one way at a time with NumPy's own bad files
 * (src/test/resources/npy): each refusal is one error line naming the file and the problem, a non-zero exit, and
 * nothing under the output's name, not even a partial folder beside it.
 */
class BundleImportTest {
    static final Path NOTEBOOK = Path.of("src/test/resources/notebook/padim-layer3");
    static final Path NPY = Path.of("src/test/resources/npy");

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
        /** The one error line; fails unless there is exactly one and no stack trace. */
        String error() {
            assertTrue(exit != 0, "non-zero exit: " + err);
            List<String> errors = err.lines().filter(l -> l.startsWith("kensa: error: ")).toList();
            assertEquals(1, errors.size(), "exactly one error line: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
            List<String> other = err.lines().filter(l -> !l.isBlank() && !l.startsWith("kensa: ")
                    && !l.startsWith("WARNING: Using incubator")).toList();
            assertEquals(List.of(), other, "nothing else on stderr");
            return errors.get(0);
        }
    }

    static Run kensa(String... args) {
        CliTest.Run r = CliTest.kensa(args);
        return new Run(r.exit(), r.out(), r.err());
    }

    /** A fresh copy of the NumPy-written notebook to break. */
    Path notebook(String name) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir.resolve("padim"));
        for (String f : List.of("fixed_pipeline.json", "padim/mean.npy", "padim/cov.npy", "padim/idx.npy")) {
            Files.copy(NOTEBOOK.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    Run importInto(Path notebook, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("bundle", "import", notebook.toString(), "-o", out.toString(),
                "--backbone", TestData.backbone().toString()));
        args.addAll(List.of(more));
        return kensa(args.toArray(String[]::new));
    }

    @Test
    void importsTheNumpyNotebookWithItsThresholdSourceAndSelfTestsScoredByTheInspector() throws Exception {
        Path nb = notebook("ok");
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(nb.resolve("fixed_pipeline.json").toFile());
        json.put("notes", "fitted on Tuesday");
        ((ObjectNode) json.get("padim")).put("eps", 0.01);
        new ObjectMapper().writeValue(nb.resolve("fixed_pipeline.json").toFile(), json);
        Path out = tmp.resolve("out").resolve("imported");
        Path good = TestData.bottle().resolve("test/good");
        Run r = importInto(nb, out, "--selftest", good.resolve("000.png") + "," + good.resolve("001.png"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(out.toString(), r.out().trim());
        // unknown keys are said, not silently dropped; so is the reordering of idx
        assertTrue(r.err().contains("kensa: note: " + nb.resolve("fixed_pipeline.json") + ": unknown key padim.eps, ignored"), r.err());
        assertTrue(r.err().contains("unknown key notes, ignored"), r.err());
        assertTrue(r.err().contains("idx.npy: not ascending"), r.err());

        ModelBundle b = BundleReader.read(out);
        assertEquals(21.3, b.pipeline().threshold().image().value());
        assertEquals("dev_carpet_test", b.pipeline().threshold().image().source());
        assertEquals(0.01, b.pipeline().threshold().image().fprTarget());
        PadimModel m = (PadimModel) b.model();
        assertEquals(List.of("layer3"), m.layers());
        assertArrayEquals(new int[]{5, 100, 200}, m.channels());
        // the means reordered with idx: notebook column 1 (channel 5) first, column 0 (channel 200) last
        float[] mean = Npy.read(NOTEBOOK.resolve("padim/mean.npy")).floats();
        for (int p : new int[]{0, 97, 195}) {
            assertEquals(mean[p * 3 + 1], m.stats().mean()[p * 3]);
            assertEquals(mean[p * 3 + 2], m.stats().mean()[p * 3 + 1]);
            assertEquals(mean[p * 3], m.stats().mean()[p * 3 + 2]);
        }
        var imported = b.manifest().imported();
        assertEquals(nb.toAbsolutePath().normalize().toString(), imported.notebook());
        assertEquals(List.of("fixed_pipeline.json", "padim/cov.npy", "padim/idx.npy", "padim/mean.npy"),
                List.copyOf(imported.sha256().keySet()));
        assertEquals(Checksums.sha256Hex(nb.resolve("padim/cov.npy"), "cov"), imported.sha256().get("padim/cov.npy"));

        // the expected scores are what the real inspector gives the stored golden images
        assertEquals(2, b.selfTests().size());
        List<ImageInput> inputs = new ArrayList<>();
        for (var t : b.selfTests()) {
            inputs.add(ImageInput.of(t.file().getFileName().toString(), Files.readAllBytes(t.file())));
        }
        double[] scores = new double[inputs.size()];
        try (Inspector inspector = Inspectors.openCpu(b, 2, 2)) {
            inspector.inspect(inputs, in -> scores[in.index()] = in.result().score());
        }
        for (int i = 0; i < scores.length; i++) {
            assertTrue(scores[i] > 0, "a real score: " + scores[i]);
            assertEquals(b.selfTests().get(i).expectedScore(), scores[i], 1e-9 * scores[i], "self-test " + i);
        }
        Run verify = kensa("bundle", "verify", out.toString());
        assertEquals(0, verify.exit(), verify.out() + verify.err());
        assertNothingBeside(out);
    }

    @Test
    void refusalsAreOneLineNamingTheFileAndWriteNothing() throws Exception {
        List<String> checked = new ArrayList<>();

        // NumPy's own broken files in the notebook's place
        Path nb = notebook("corrupt-header");
        Files.copy(NPY.resolve("bad_header.npy"), nb.resolve("padim/mean.npy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        refused(nb, nb.resolve("padim/mean.npy") + ": ", checked);

        nb = notebook("truncated");
        Files.copy(NPY.resolve("bad_truncated.npy"), nb.resolve("padim/cov.npy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        refused(nb, nb.resolve("padim/cov.npy") + ": ", checked);

        // shapes that disagree with the backbone: layer2's 28x28 grid, and a channel layer3 does not have
        nb = notebook("grid");
        refused(nb, nb.resolve("padim/mean.npy") + ": 196 positions but the backbone's layer2 give a 28x28 grid", checked,
                "--layers", "layer2");
        nb = notebook("channel");
        Npy.write(nb.resolve("padim/idx.npy"), NpyArray.of(new long[]{300, 5, 100}, 3));
        refused(nb, nb.resolve("padim/idx.npy") + ": idx[0] = 300 is outside 0..255 (layer3 give 256 channels)", checked);

        // shapes that disagree with each other
        nb = notebook("mean-shape");
        Npy.write(nb.resolve("padim/mean.npy"), NpyArray.of(new float[196 * 4], 196, 4));
        refused(nb, nb.resolve("padim/cov.npy") + ": shape (196, 3, 3), expected (196, 4, 4)", checked);

        // values: NaN, and a covariance that is not positive definite at one position
        double[] cov = Npy.read(NOTEBOOK.resolve("padim/cov.npy")).doubles();
        nb = notebook("nan");
        double[] nan = cov.clone();
        nan[7 * 9 + 1 * 3 + 2] = Double.NaN;
        Npy.write(nb.resolve("padim/cov.npy"), NpyArray.of(nan, 196, 3, 3));
        refused(nb, nb.resolve("padim/cov.npy") + ": NaN at [7, 1, 2]", checked);
        nb = notebook("not-pd");
        double[] negative = cov.clone();
        for (int i = 0; i < 9; i++) {
            negative[37 * 9 + i] = i % 4 == 0 ? -1 : 0;
        }
        Npy.write(nb.resolve("padim/cov.npy"), NpyArray.of(negative, 196, 3, 3));
        refused(nb, nb.resolve("padim/cov.npy") + ": the covariance of position 37 (grid row 2, column 9 of 14x14) is not positive definite", checked);

        // the threshold: missing and not given, or a JSON value of the wrong type
        nb = notebook("no-threshold");
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(nb.resolve("fixed_pipeline.json").toFile());
        ((ObjectNode) json.get("threshold")).remove("value");
        new ObjectMapper().writeValue(nb.resolve("fixed_pipeline.json").toFile(), json);
        refused(nb, nb.resolve("fixed_pipeline.json") + ": threshold.value is missing and no --threshold was given", checked);
        Path given = tmp.resolve("given");
        Run r = importInto(nb, given, "--threshold", "18.5");
        assertEquals(0, r.exit(), r.err());
        assertEquals(18.5, BundleReader.read(given).pipeline().threshold().image().value());
        assertEquals("--threshold", BundleReader.read(given).pipeline().threshold().image().source());

        nb = notebook("json-type");
        Files.writeString(nb.resolve("fixed_pipeline.json"), "{\"common\": {\"image_size\": \"256\"}, \"threshold\": {\"value\": 21.3}}");
        refused(nb, nb.resolve("fixed_pipeline.json") + ": common.image_size must be a positive integer, got \"256\"", checked);

        assertEquals(9, checked.size(), checked.toString());
    }

    /** A failure after the bundle is written (here its zip cannot be made) leaves neither the bundle nor the zip. */
    @Test
    void aFailureWhileWritingLeavesNothingUnderTheOutputsNames() throws Exception {
        Path nb = notebook("late-notebook");
        Path zip = tmp.resolve("late.zip");
        Files.writeString(tmp.resolve("late.zip.part"), "in the way");
        String line = importInto(nb, zip).error();
        assertTrue(line.startsWith("kensa: error: zip " + zip + ": cannot write"), line);
        assertFalse(Files.exists(zip), "no zip");
        assertFalse(Files.exists(tmp.resolve("late")), "no bundle folder beside the zip");
        assertNothingBeside(zip);
    }

    private void refused(Path notebook, String expected, List<String> checked, String... more) throws IOException {
        Path out = tmp.resolve("refused-" + notebook.getFileName());
        String line = importInto(notebook, out, more).error();
        assertTrue(line.startsWith("kensa: error: " + expected), "'" + line + "' should start with " + expected);
        assertFalse(Files.exists(out), "nothing written at " + out);
        assertNothingBeside(out);
        checked.add(line);
    }

    /** No staging folder left beside the output. */
    private static void assertNothingBeside(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out.toAbsolutePath().getParent())) {
            List<String> partial = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".partial-")).toList();
            assertEquals(List.of(), partial, "partial folders beside " + out);
        }
    }
}
