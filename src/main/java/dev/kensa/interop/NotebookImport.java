package dev.kensa.interop;

import dev.kensa.KensaException;
import dev.kensa.Version;
import dev.kensa.backbone.LayerShape;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.BundleDraft;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.bundle.Checksums;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.fit.BundleFitter;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.Methods;
import dev.kensa.method.gaussian.GlobalMahalanobisModel;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.method.patchcore.MemoryBank;
import dev.kensa.method.patchcore.PatchCoreModel;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.score.GaussianStats;
import dev.kensa.util.FileTrees;
import dev.kensa.util.ImageFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code kensa bundle import}: a model fitted in Python ({@link Notebook}: the fixed-pipeline JSON and NumPy arrays)
 * into a verified bundle that scores as the notebook did (DESIGN.md §5).
 *
 * <p>The cheap checks come first (output, JSON, threshold, array headers against each other), then the backbone is
 * opened and the arrays are checked against its real output shapes, then the arrays are read: PaDiM's covariances one
 * position at a time (a float64 [3136, 100, 100] array is 250 MB and is never held whole), each factored into the
 * inverse Cholesky factor the bundle stores ({@link MahalanobisFactor}). The self-test images are scored with the
 * imported model, and the bundle is written last by {@link BundleWriter}, which reads it back. Any refusal is one line
 * naming the file and the problem, and nothing is written.
 */
public final class NotebookImport {
    /** PatchCore's local pooling when the notebook does not say: kensa fit's and anomalib's. */
    static final int DEFAULT_POOLING = 3;
    /** The square images are resized to when the notebook does not say ({@code kensa fit}'s default). */
    static final int DEFAULT_RESIZE = 256;
    /**
     * Largest asymmetry |S_ij - S_ji| accepted in a covariance, relative to sqrt(S_ii S_jj): float32 sums in another
     * order differ by ~1e-7; an array saved with its axes mixed up differs by far more.
     */
    static final double SYMMETRY_TOLERANCE = 1e-4;

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
        checkOutput(o.output());
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
        PipelineConfig.ImageThreshold threshold = threshold(fp, o, jsonFile, notes);
        List<String> layers = layers(o, fp, method, jsonFile, notes);
        FixedPipeline.Kensa box = fp.kensa() != null ? fp.kensa() : new FixedPipeline.Kensa(null, null, null, null, null, null, null);
        int resize = fp.common() != null && fp.common().imageSize() != null ? fp.common().imageSize() : DEFAULT_RESIZE;
        List<Path> selfTestImages = ImageFiles.expand(o.selfTestImages());

        Arrays arrays = switch (method) {
            case Notebook.PADIM -> new PadimArrays(dir.resolve(Notebook.PADIM), fp, jsonFile, notes);
            case Notebook.MAHALANOBIS -> new MahalanobisArrays(dir.resolve(Notebook.MAHALANOBIS), fp, notes);
            default -> new PatchCoreArrays(dir.resolve(Notebook.PATCHCORE), fp);
        };

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
            input = new Manifest.Input("image", crop, crop, BundleFitter.IMAGENET_MEAN, BundleFitter.IMAGENET_STD, "RGB");
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
                selfTests = BundleFitter.selfTests(selfTestImages, inspector, resize);
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
            return write(o.output(), draft);
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

    /**
     * Writes the bundle beside its destination and renames it into place, so a failure (or a kill) leaves nothing
     * under the output's name; a name ending .zip also gets the zip, written before the folder is moved.
     */
    private static ModelBundle write(Path output, BundleDraft draft) {
        String file = output.getFileName().toString();
        boolean zip = file.endsWith(".zip");
        Path dirTarget = zip ? output.resolveSibling(file.substring(0, file.length() - 4)) : output;
        try (Staging staging = Staging.beside(dirTarget)) {
            Path staged = staging.dir();
            BundleWriter.write(staged, draft);
            if (zip) {
                BundleWriter.zip(staged, output);
            }
            try {
                staging.commit();
            } catch (RuntimeException e) {
                if (zip) {
                    FileTrees.deleteQuietly(output);
                }
                throw e;
            }
        }
        return BundleReader.read(dirTarget);
    }

    private static void checkOutput(Path output) {
        List<Path> targets = new ArrayList<>(List.of(output));
        String file = output.getFileName() == null ? "" : output.getFileName().toString();
        if (file.endsWith(".zip")) {
            targets.add(output.resolveSibling(file.substring(0, file.length() - 4)));
        }
        for (Path p : targets) {
            if (Files.exists(p) && !isEmptyDir(p)) {
                throw new KensaException("output " + p + " already exists and is not empty");
            }
        }
    }

    private static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
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
            throw new InteropException(dir + ": no " + Notebook.PADIM + "/, " + Notebook.MAHALANOBIS + "/ or "
                    + Notebook.PATCHCORE + "/ folder of .npy arrays");
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

    private static List<String> layers(Options o, FixedPipeline fp, String method, Path jsonFile, Consumer<String> notes) {
        List<String> fromJson = switch (method) {
            case Notebook.PADIM -> fp.padim() != null ? fp.padim().layers() : null;
            case Notebook.MAHALANOBIS -> fp.mahalanobis() != null ? fp.mahalanobis().layers() : null;
            default -> fp.patchcore() != null ? fp.patchcore().layers() : null;
        };
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

    /** A method's arrays: headers checked against each other at construction, loaded against the backbone's shapes. */
    private interface Arrays {
        MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes);

        /** The array files read, for the manifest's record of the import. */
        List<Path> files();
    }

    /** The covariance file a notebook saved: cov.npy when present (an inverse beside it is noted and ignored), else its inverse. */
    private record CovarianceFile(Path file, boolean inverse) {
        static CovarianceFile in(Path dir, String inverseName, String what, Consumer<String> notes) {
            Path cov = dir.resolve(Notebook.COV);
            Path inv = dir.resolve(inverseName);
            if (Files.exists(cov)) {
                if (Files.exists(inv)) {
                    notes.accept(inv + ": ignored, " + Notebook.COV + " beside it is used");
                }
                return new CovarianceFile(cov, false);
            }
            if (Files.exists(inv)) {
                return new CovarianceFile(inv, true);
            }
            throw new InteropException(dir + ": neither " + Notebook.COV + " nor " + inverseName + " (" + what + ")");
        }
    }

    // ---- PaDiM

    private static final class PadimArrays implements Arrays {
        final Path meanFile;
        final Path covFile;
        final Path idxFile;
        final boolean inverse;
        final int positions;
        final int dims;

        PadimArrays(Path dir, FixedPipeline fp, Path jsonFile, Consumer<String> notes) {
            meanFile = dir.resolve(Notebook.MEAN);
            NpyHeader mean = floatingHeader(meanFile);
            CovarianceFile found = CovarianceFile.in(dir, Notebook.INV_COV, "the per-position covariance [P, d, d] or its inverse", notes);
            covFile = found.file();
            inverse = found.inverse();
            NpyHeader c = floatingHeader(covFile);
            List<Integer> ms = mean.shape();
            List<Integer> cs = c.shape();
            boolean meanFlipped = ms.size() == 2 && cs.size() == 3 && cs.get(0).equals(ms.get(0))
                    && cs.get(1).equals(ms.get(0)) && cs.get(2).equals(ms.get(1));
            if (meanFlipped) { // mean (d, P) and cov (d, d, P): the reference PaDiM implementation's layout
                throw new InteropException(meanFile + ": shapes " + mean.shapeText() + " and " + c.shapeText() + " of "
                        + covFile.getFileName() + " are [d, P] and [d, d, P] (the reference PaDiM layout); Kensa reads"
                        + " [P, d] and [P, d, d]: save mean.T and " + (inverse ? "inv_cov" : "cov") + ".transpose(2, 0, 1)");
            }
            if (ms.size() != 2) {
                throw new InteropException(meanFile + ": shape " + mean.shapeText() + ", expected [P, d] (positions, kept channels)");
            }
            positions = ms.get(0);
            dims = ms.get(1);
            if (!cs.equals(List.of(positions, dims, dims))) {
                String hint = cs.equals(List.of(dims, dims, positions))
                        ? " (it is [d, d, P], the reference PaDiM layout: save it transposed with .transpose(2, 0, 1))"
                        : cs.size() == 3 && cs.get(1).equals(cs.get(2)) && cs.get(0).equals(dims) && cs.get(1).equals(positions)
                        ? " (mean.npy looks transposed: save mean.T)" : "";
                throw new InteropException(covFile + ": shape " + c.shapeText() + ", expected (" + positions + ", " + dims
                        + ", " + dims + ") to match " + Notebook.MEAN + " " + mean.shapeText() + hint);
            }
            idxFile = dir.resolve(Notebook.IDX);
            if (Files.exists(idxFile)) {
                NpyHeader idx = Npy.readHeader(idxFile);
                if (!idx.shape().equals(List.of(dims))) {
                    throw new InteropException(idxFile + ": shape " + idx.shapeText() + ", expected (" + dims + ",): one channel"
                            + " index per column of " + Notebook.MEAN + " " + mean.shapeText());
                }
            }
            Integer subsample = fp.padim() != null ? fp.padim().channelSubsample() : null;
            if (subsample != null && subsample != dims) {
                throw new InteropException(jsonFile + ": padim.channel_subsample is " + subsample + " but " + meanFile
                        + " keeps d=" + dims + " channels " + mean.shapeText());
            }
        }

        @Override
        public List<Path> files() {
            return Files.exists(idxFile) ? List.of(meanFile, covFile, idxFile) : List.of(meanFile, covFile);
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            LayerShape first = shapes.get(0);
            Grid grid = new Grid(first.height(), first.width());
            String layerText = String.join("+", layers);
            if (positions != grid.positions()) {
                throw new InteropException(meanFile + ": " + positions + " positions but the backbone's " + layerText
                        + " give a " + grid + " grid (" + grid.positions() + " positions, row-major)");
            }
            for (LayerShape l : shapes) {
                if (grid.height() % l.height() != 0 || grid.width() % l.width() != 0) {
                    throw new InteropException("layers " + layerText + ": " + l.name() + " (" + l.height() + "x" + l.width()
                            + ") does not divide the first layer's grid " + grid + " (name the largest layer first)");
                }
            }
            int source = LayerShape.totalChannels(shapes);
            int[] idx;
            if (Files.exists(idxFile)) {
                idx = Npy.read(idxFile).ints();
            } else if (dims == source) {
                idx = new int[dims];
                for (int i = 0; i < dims; i++) {
                    idx[i] = i;
                }
            } else {
                throw new InteropException(idxFile + ": missing, and " + meanFile + " keeps d=" + dims + " of the " + source
                        + " channels of " + layerText + ": which ones is what idx.npy says");
            }
            int[] order = sortedOrder(idx, source, layerText);
            int[] channels = new int[dims];
            for (int t = 0; t < dims; t++) {
                channels[t] = idx[order[t]];
            }
            boolean permuted = false;
            for (int t = 0; t < dims; t++) {
                permuted |= order[t] != t;
            }
            if (permuted) {
                notes.accept(idxFile + ": not ascending; sorted, with the mean and covariance dimensions reordered alike"
                        + " (distances do not change)");
            }

            float[] m = Npy.read(meanFile).requireFinite().floats();
            float[] mean = new float[positions * dims];
            for (int p = 0; p < positions; p++) {
                for (int t = 0; t < dims; t++) {
                    mean[p * dims + t] = m[p * dims + order[t]];
                }
            }
            m = null;
            int packed = GaussianStats.packedSize(dims);
            float[] factor;
            try {
                factor = new float[Math.multiplyExact(positions, packed)];
            } catch (OutOfMemoryError | ArithmeticException e) {
                throw new InteropException(covFile + ": the factors of " + positions + " positions of d=" + dims
                        + " need " + 4L * positions * packed / (1 << 20) + " MiB of Java heap, more than is free (raise -Xmx)");
            }
            Gaussian g = new Gaussian(covFile, dims, order, inverse);
            NpyHeader read = Npy.forEachSlice(covFile, (p, slice) -> g.factor(p, slice, grid, factor, p * packed));
            if (read.shape().get(0) != positions) {
                throw new InteropException(covFile + ": changed while being read");
            }
            GaussianStats stats = GaussianStats.ofFloat32(grid.height(), grid.width(), dims, mean, factor);
            return new PadimModel(layers, source, channels, null, float16 ? stats.toFloat16() : stats, null);
        }

        /** The order that sorts idx ascending; refuses an index out of range or given twice. */
        private int[] sortedOrder(int[] idx, int source, String layerText) {
            Integer[] order = new Integer[idx.length];
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] < 0 || idx[i] >= source) {
                    throw new InteropException(idxFile + ": idx[" + i + "] = " + idx[i] + " is outside 0.." + (source - 1)
                            + " (" + layerText + " give " + source + " channels)");
                }
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Integer.compare(idx[a], idx[b]));
            for (int t = 1; t < order.length; t++) {
                if (idx[order[t]] == idx[order[t - 1]]) {
                    int a = Math.min(order[t], order[t - 1]);
                    int b = Math.max(order[t], order[t - 1]);
                    throw new InteropException(idxFile + ": channel " + idx[a] + " is kept twice (idx[" + a + "] and idx["
                            + b + "])");
                }
            }
            return java.util.Arrays.stream(order).mapToInt(Integer::intValue).toArray();
        }
    }

    // ---- global Mahalanobis

    private static final class MahalanobisArrays implements Arrays {
        final Path meanFile;
        final Path covFile;
        final boolean inverse;
        final int dims;
        final String covariance;

        MahalanobisArrays(Path dir, FixedPipeline fp, Consumer<String> notes) {
            meanFile = dir.resolve(Notebook.MEAN);
            NpyHeader mean = floatingHeader(meanFile);
            if (mean.shape().size() != 1) {
                throw new InteropException(meanFile + ": shape " + mean.shapeText() + ", expected [D] (one mean per pooled channel)");
            }
            dims = mean.shape().get(0);
            CovarianceFile found = CovarianceFile.in(dir, Notebook.PRECISION, "the covariance [D, D] or its inverse", notes);
            covFile = found.file();
            inverse = found.inverse();
            NpyHeader c = floatingHeader(covFile);
            if (!c.shape().equals(List.of(dims, dims))) {
                throw new InteropException(covFile + ": shape " + c.shapeText() + ", expected (" + dims + ", " + dims
                        + ") to match " + Notebook.MEAN + " " + mean.shapeText());
            }
            String estimator = fp.mahalanobis() != null ? fp.mahalanobis().covEstimator() : null;
            covariance = estimator == null ? "imported" : estimator.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @Override
        public List<Path> files() {
            return List.of(meanFile, covFile);
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            int total = LayerShape.totalChannels(shapes);
            if (dims != total) {
                throw new InteropException(meanFile + ": D=" + dims + " but the backbone's " + String.join("+", layers)
                        + " give " + total + " channels when pooled");
            }
            float[] mean = Npy.read(meanFile).requireFinite().floats();
            int[] order = new int[dims];
            for (int i = 0; i < dims; i++) {
                order[i] = i;
            }
            float[] factor = new float[GaussianStats.packedSize(dims)];
            Gaussian g = new Gaussian(covFile, dims, order, inverse);
            Npy.forEachSlice(covFile, new Npy.SliceConsumer() {
                final double[] whole = new double[dims * dims];

                @Override
                public void accept(int row, double[] values) {
                    System.arraycopy(values, 0, whole, row * dims, dims);
                    if (row == dims - 1) {
                        g.factor(0, whole, null, factor, 0);
                    }
                }
            });
            // kept float32 whatever --float16 says: one position of D values is no memory to save
            return new GlobalMahalanobisModel(layers, GaussianStats.ofFloat32(1, 1, dims, mean, factor), Double.NaN, covariance);
        }
    }

    // ---- PatchCore

    private static final class PatchCoreArrays implements Arrays {
        final Path bankFile;
        final int rows;
        final int dims;
        final int pooling;
        final int neighbours;
        final double coresetRatio;

        PatchCoreArrays(Path dir, FixedPipeline fp) {
            bankFile = dir.resolve(Notebook.MEMORY_BANK);
            NpyHeader h = floatingHeader(bankFile);
            if (h.shape().size() != 2 || h.shape().get(0) == 0 || h.shape().get(1) == 0) {
                throw new InteropException(bankFile + ": shape " + h.shapeText() + ", expected [N, D] (N patch features, N > 0)");
            }
            rows = h.shape().get(0);
            dims = h.shape().get(1);
            FixedPipeline.Patchcore p = fp.patchcore();
            pooling = p != null && p.pooling() != null ? p.pooling() : DEFAULT_POOLING;
            neighbours = p != null && p.neighbours() != null ? p.neighbours() : MethodOptions.defaults().neighbours();
            coresetRatio = p != null && p.coresetRatio() != null ? p.coresetRatio() : 1.0;
        }

        @Override
        public List<Path> files() {
            return List.of(bankFile);
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            int total = LayerShape.totalChannels(shapes);
            if (dims != total) {
                throw new InteropException(bankFile + ": D=" + dims + " but the backbone's " + String.join("+", layers)
                        + " give " + total + " channels");
            }
            LayerShape first = shapes.get(0);
            MemoryBank bank = new MemoryBank(Npy.read(bankFile).requireFinite().floats(), rows, dims, false);
            return new PatchCoreModel(layers, new Grid(first.height(), first.width()), pooling, neighbours,
                    float16 ? bank.toFloat16() : bank, coresetRatio, 0, 0, Math.round(rows / coresetRatio));
        }
    }

    // ---- shared

    /** A floating-point array's header; an integer array where statistics belong is refused by name. */
    private static NpyHeader floatingHeader(Path file) {
        NpyHeader h = Npy.readHeader(file);
        if (!h.type().isFloating()) {
            throw new InteropException(file + ": dtype " + h.type().numpyName() + ", expected float32 or float64");
        }
        return h;
    }

    /** Turns one position's covariance or inverse covariance, as the notebook saved it, into the stored factor. */
    private static final class Gaussian {
        final Path file;
        final int d;
        final int[] order;
        final boolean inverse;
        final double[] packed;
        final double[] q;
        final double[] work;

        Gaussian(Path file, int d, int[] order, boolean inverse) {
            this.file = file;
            this.d = d;
            this.order = order;
            this.inverse = inverse;
            this.packed = new double[GaussianStats.packedSize(d)];
            this.q = inverse ? new double[d * d] : null;
            this.work = inverse ? new double[GaussianStats.packedSize(d)] : null;
        }

        /** @param grid null for a single Gaussian (then positions are not named) */
        void factor(int p, double[] s, Grid grid, float[] factor, int offset) {
            String at = grid == null ? "" : p + ", ";
            for (int i = 0; i < d * d; i++) {
                if (!Double.isFinite(s[i])) {
                    throw new InteropException(file + ": " + (Double.isNaN(s[i]) ? "NaN" : s[i] > 0 ? "+inf" : "-inf")
                            + " at [" + at + i / d + ", " + i % d + "]");
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    double a = s[i * d + j];
                    double b = s[j * d + i];
                    if (Math.abs(a - b) > SYMMETRY_TOLERANCE * Math.sqrt(Math.abs(s[i * d + i] * s[j * d + j]))) {
                        throw new InteropException(file + ": " + what() + where(p, grid) + " is not symmetric: [" + at + i + ", "
                                + j + "] = " + a + " but [" + at + j + ", " + i + "] = " + b);
                    }
                }
            }
            boolean ok;
            if (inverse) {
                for (int t = 0; t < d; t++) {
                    int rt = order[t] * d;
                    for (int u = 0; u < d; u++) {
                        q[t * d + u] = 0.5 * (s[rt + order[u]] + s[order[u] * d + order[t]]);
                    }
                }
                ok = MahalanobisFactor.fromPrecision(q, d, work, packed);
            } else {
                for (int t = 0, row = 0; t < d; row += ++t) {
                    int rt = order[t] * d;
                    for (int u = 0; u <= t; u++) {
                        packed[row + u] = 0.5 * (s[rt + order[u]] + s[order[u] * d + order[t]]);
                    }
                }
                ok = MahalanobisFactor.fromCovariance(packed, d);
            }
            if (!ok) {
                throw new InteropException(file + ": " + what() + where(p, grid) + " is not positive definite"
                        + (inverse || grid == null ? "" : " (PaDiM adds eps * I to each covariance, e.g. 0.01)"));
            }
            for (int i = 0; i < packed.length; i++) {
                float w = (float) packed[i];
                if (!Float.isFinite(w)) {
                    throw new InteropException(file + ": " + what() + where(p, grid)
                            + " is too close to singular: its inverse factor overflows float32");
                }
                factor[offset + i] = w;
            }
        }

        private String what() {
            return inverse ? "the inverse covariance" : "the covariance";
        }

        private static String where(int p, Grid grid) {
            return grid == null ? "" : " of position " + p + " (grid row " + p / grid.width() + ", column " + p % grid.width()
                    + " of " + grid + ")";
        }
    }
}
