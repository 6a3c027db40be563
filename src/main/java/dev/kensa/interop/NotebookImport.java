package dev.kensa.interop;

import dev.kensa.Version;
import dev.kensa.backbone.LayerShape;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.BundleDraft;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.method.Methods;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.pipeline.SelfTest;
import dev.kensa.util.ImageFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code kensa bundle import}: a model fitted in Python ({@link Notebook}: the fixed-pipeline JSON and NumPy arrays)
 * into a verified bundle that scores as the notebook did (../shared/DESIGN.md §5).
 *
 * <p>The cheap checks come first (output, JSON, threshold, the method's array headers against each other), then the
 * backbone is opened and the method reads its arrays, checked against the backbone's real output shapes
 * ({@link MethodNotebook}). The self-test images are scored with the imported model, and the bundle is written last
 * by {@link BundleWriter}, which reads it back. Any refusal is one line naming the file and the problem, and nothing
 * is written.
 */
public final class NotebookImport {
    /** The square images are resized to when the notebook does not say ({@code kensa fit}'s default). */
    static final int DEFAULT_RESIZE = 256;

    /**
     * @param notebook       the notebook's folder ({@link Notebook})
     * @param output         bundle directory to create (a name ending in .zip also writes the zip)
     * @param selfTestImages images (files or folders) to make the bundle's self-tests from; may be empty
     * @param threshold      image threshold, replacing the JSON's {@code threshold.value}; null: the JSON's
     * @param name           model name; null: the notebook folder's name
     * @param method         padim, mahalanobis or patchcore; null: the one method folder present
     * @param layers         backbone outputs, replacing the JSON's; null or empty: the JSON's, else the method's default
     * @param float16        store the large arrays as float16 (PaDiM factors, PatchCore memory bank)
     */
    public record Options(Path notebook, Path output, Path backbone, List<Path> selfTestImages, Double threshold,
                          String name, String method, List<String> layers, boolean float16, int threads, int batch) {
        public Options {
            selfTestImages = selfTestImages == null ? List.of() : List.copyOf(selfTestImages);
            layers = layers == null ? null : List.copyOf(layers);
        }
    }

    private NotebookImport() {
    }

    /**
     * Imports the notebook into a new bundle and returns it as read back.
     *
     * @param notes where remarks for the person go (unknown JSON keys, a file ignored, channels sorted, defaults
     *              taken), one line each
     */
    public static ModelBundle run(Options o, Consumer<String> notes) {
        Path dir = o.notebook();
        BundleWriter.checkOutput(o.output());
        if (!Files.isDirectory(dir)) {
            throw new InteropException(dir + ": not a folder (a notebook's " + Notebook.FIXED_PIPELINE + " and arrays)");
        }
        Path jsonFile = dir.resolve(Notebook.FIXED_PIPELINE);
        FixedPipeline fp;
        if (Files.exists(jsonFile)) {
            FixedPipelineJson.Result r = FixedPipelineJson.read(jsonFile);
            for (String key : r.unknownKeys()) {
                notes.accept(jsonFile + ": unknown key " + key + ", ignored");
            }
            fp = r.pipeline();
        } else if (o.threshold() == null) {
            throw new InteropException(jsonFile + ": missing (it holds the threshold; or give --threshold)");
        } else {
            notes.accept(jsonFile + ": missing; the threshold is --threshold's and everything else is Kensa's default");
            fp = new FixedPipeline(null, null, null, null);
        }
        String method = method(o, dir);
        MethodNotebook.Section section = fp.method(method);
        PipelineConfig.ImageThreshold threshold = threshold(fp, o, jsonFile, notes);
        List<String> layers = layers(o, section, method, jsonFile, notes);
        FixedPipeline.Kensa box = fp.kensa() != null ? fp.kensa() : new FixedPipeline.Kensa(null, null, null, null, null, null, null);
        int resize = fp.common() != null && fp.common().imageSize() != null ? fp.common().imageSize() : DEFAULT_RESIZE;
        List<Path> selfTestImages = ImageFiles.expand(o.selfTestImages());

        MethodNotebook.Import arrays = Methods.byName(method).notebook().open(dir.resolve(method), section,
                jsonFile.toString(), notes);

        OnnxRuntimeBackbone backbone = new OnnxRuntimeBackbone(o.backbone(), layers, o.threads());
        PipelineConfig pipeline;
        Manifest.Input input;
        try {
            int crop = box.crop() != null ? box.crop() : backbone.inputSize();
            if (crop != backbone.inputSize()) {
                throw new InteropException(jsonFile + ": kensa.crop is " + crop + " but the backbone " + o.backbone()
                        + " takes " + backbone.inputSize() + "x" + backbone.inputSize());
            }
            if (crop > resize) {
                throw new InteropException(jsonFile + ": common.image_size " + resize + " is smaller than the crop " + crop
                        + " the backbone takes (images are resized to image_size, then centre-cropped)");
            }
            pipeline = new PipelineConfig(new PipelineConfig.Image(resize, crop),
                    new PipelineConfig.Smoothing(box.sigma() != null ? box.sigma() : PipelineConfig.DEFAULT_SIGMA),
                    new PipelineConfig.Threshold(threshold, new PipelineConfig.PixelThreshold(
                            box.pixelThreshold() != null ? box.pixelThreshold() : threshold.value())),
                    new PipelineConfig.Regions(box.minArea() != null ? box.minArea() : PipelineConfig.DEFAULT_MIN_AREA,
                            box.opening() != null ? box.opening() : PipelineConfig.DEFAULT_OPENING),
                    new PipelineConfig.Heatmap(box.heatmapSize() != null ? box.heatmapSize() : PipelineConfig.DEFAULT_HEATMAP_SIZE,
                            box.jpegQuality() != null ? box.jpegQuality() : PipelineConfig.DEFAULT_JPEG_QUALITY));
            input = Manifest.Input.imagenet(crop);
        } catch (RuntimeException e) {
            backbone.close();
            throw e;
        }
        // owns the backbone from here (and closes it if its own warm-up fails)
        FeatureExtractor fx = new FeatureExtractor(Inspectors.preprocessor(input, pipeline), backbone, o.threads());
        boolean fxOwned = true;
        try {
            List<LayerShape> shapes = fx.layers();
            MethodModel model = arrays.load(shapes, layers, o.float16(), notes);
            model.checkLayers(shapes); // the method's own check, as at every load

            String name = o.name() != null ? o.name() : folderName(dir);
            String id = name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            List<BundleDraft.SelfTestDraft> selfTests;
            Inspector inspector = Inspectors.ofFit(fx, model, pipeline, id, o.threads(), o.batch());
            fxOwned = false;
            try (inspector) {
                selfTests = SelfTest.make(selfTestImages, inspector, resize);
            }
            if (selfTests.isEmpty()) {
                notes.accept("no --selftest images: the bundle has no golden images, so a box cannot check that it "
                        + "scores as it did here");
            }
            List<Path> read = new ArrayList<>();
            if (Files.exists(jsonFile)) {
                read.add(jsonFile);
            }
            read.addAll(arrays.files());
            BundleDraft draft = new BundleDraft(id, name, Version.VERSION + " (bundle import)", o.backbone(), input, model,
                    null, pipeline, selfTests, imported(dir, read), null);
            return BundleWriter.create(o.output(), draft);
        } finally {
            if (fxOwned) {
                fx.close();
            }
        }
    }

    private static Manifest.Imported imported(Path dir, List<Path> files) {
        java.util.Map<String, String> sha256 = new java.util.TreeMap<>();
        for (Path f : files) {
            sha256.put(dir.relativize(f).toString().replace('\\', '/'), Checksums.sha256Hex(f, f.toString()));
        }
        return new Manifest.Imported(dir.toAbsolutePath().normalize().toString(), sha256);
    }

    private static String folderName(Path dir) {
        Path n = dir.toAbsolutePath().normalize().getFileName();
        return n == null ? "notebook" : n.toString();
    }

    private static String method(Options o, Path dir) {
        List<String> present = Notebook.methodsIn(dir);
        if (o.method() != null) {
            String m = Methods.byName(o.method()).name();
            if (!present.contains(m)) {
                throw new InteropException(dir.resolve(m) + ": missing (the " + m + " arrays)");
            }
            return m;
        }
        if (present.isEmpty()) {
            List<String> folders = Methods.names().stream().map(m -> m + "/").toList();
            throw new InteropException(dir + ": no " + String.join(", ", folders.subList(0, folders.size() - 1)) + " or "
                    + folders.get(folders.size() - 1) + " folder of .npy arrays");
        }
        if (present.size() > 1) {
            throw new InteropException(dir + ": holds arrays of " + String.join(" and ", present)
                    + "; choose one with --method");
        }
        return present.get(0);
    }

    private static PipelineConfig.ImageThreshold threshold(FixedPipeline fp, Options o, Path jsonFile, Consumer<String> notes) {
        FixedPipeline.Threshold t = fp.threshold();
        Double value = t != null ? t.value() : null;
        String source = t != null && t.source() != null ? t.source() : "notebook";
        if (o.threshold() != null) {
            if (value != null && value.doubleValue() != o.threshold()) {
                notes.accept("--threshold " + o.threshold() + " replaces threshold.value " + value + " of " + jsonFile);
            }
            value = o.threshold();
            source = "--threshold";
        }
        if (value == null) {
            throw new InteropException(jsonFile + ": threshold.value is missing and no --threshold was given");
        }
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new InteropException((o.threshold() != null ? "--threshold" : jsonFile + ": threshold.value") + " is "
                    + value + ", must be positive (scores are distances)");
        }
        double fpr = t != null && t.imageFprTarget() != null ? t.imageFprTarget() : 0;
        return new PipelineConfig.ImageThreshold(value, fpr, source);
    }

    private static List<String> layers(Options o, MethodNotebook.Section section, String method, Path jsonFile,
                                       Consumer<String> notes) {
        List<String> fromJson = section != null ? section.layers() : null;
        List<String> layers;
        String from;
        if (o.layers() != null && !o.layers().isEmpty()) {
            layers = o.layers();
            from = "--layers";
            if (fromJson != null && !fromJson.equals(layers)) {
                notes.accept("--layers " + String.join(",", layers) + " replaces " + method + ".layers " + fromJson + " of " + jsonFile);
            }
        } else if (fromJson != null) {
            layers = fromJson;
            from = jsonFile + ": " + method + ".layers";
        } else {
            layers = Methods.byName(method).defaultLayers();
            from = "the default layers";
            notes.accept(jsonFile + ": no " + method + ".layers, so " + method + "'s default " + String.join("+", layers) + " is used");
        }
        if (new HashSet<>(layers).size() != layers.size()) {
            throw new InteropException(from + " names a layer twice: " + layers);
        }
        return layers;
    }
}
