package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.Version;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.BundleDraft;
import dev.kensa.bundle.BundleWriter;
import dev.kensa.bundle.Manifest;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.PreparedBatch;
import dev.kensa.post.AnomalyMap;
import dev.kensa.post.AnomalyMapBuilder;
import dev.kensa.score.PatchScorer;
import dev.kensa.score.PatchScorers;
import dev.kensa.score.GaussianStats;
import dev.kensa.util.ImageFiles;
import dev.kensa.util.Progress;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * {@code kensa fit}: good images in, a verified {@code kensa-bundle/1} out (DESIGN.md §4-5).
 *
 * <p>One pass over the images streams embeddings into k fold accumulators (never all N x P x d in memory). The
 * full model is all folds together; fold f's out-of-fold model is all minus fold f, so k-fold calibration costs k
 * extra Cholesky fits, not k extra passes through the backbone. The out-of-fold images' embeddings are spilled
 * to a temporary file on disk (1.25 MB per image) and read back for scoring.
 */
public final class BundleFitter {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    public static final List<String> RESNET_OUTPUTS = List.of("layer1", "layer2", "layer3");
    static final int SELF_TESTS = 3;

    /**
     * @param thresholdSource   how the threshold was calibrated
     * @param goodRejectRate    share of the calibration goods above the threshold
     * @param defectAcceptRate  share of dev-set defects at or below the threshold (dev calibration only)
     */
    public record FitReport(ModelBundle bundle, int images, double fitSeconds, double calibrationSeconds,
                            double threshold, String thresholdSource, double goodRejectRate, Double defectAcceptRate,
                            long accumulatorBytes) {
    }

    private BundleFitter() {
    }

    public static FitReport fit(FitOptions o, boolean progress) {
        List<Path> train = ImageFiles.list(o.trainDir(), "training");
        if (train.size() < 2) {
            throw new KensaException("need at least 2 good images to fit, " + o.trainDir() + " has " + train.size());
        }
        boolean kfold = o.calibrate() && o.holdoutDir() == null && o.devDir() == null;
        int k = 1;
        if (kfold) {
            k = Math.min(o.folds(), train.size() / 2);
            if (k < 2) {
                throw new KensaException("k-fold calibration needs at least 4 good images, have " + train.size()
                        + "; give --holdout or --dev images");
            }
        }
        if (Files.exists(o.output()) && !isEmptyDir(o.output())) {
            throw new KensaException("output " + o.output() + " already exists and is not empty");
        }
        ImageGeometry geometry = new ImageGeometry(o.resize(), o.crop());
        ImagePreprocessor pre = new ImagePreprocessor(geometry, IMAGENET_MEAN, IMAGENET_STD, "RGB", 0);
        OnnxRuntimeBackbone backbone = new OnnxRuntimeBackbone(o.backbone(), RESNET_OUTPUTS, o.threads());
        int total;
        try {
            total = FeatureExtractor.totalChannels(backbone);
        } catch (RuntimeException e) {
            backbone.close();
            throw e;
        }
        if (o.dims() <= 0 || o.dims() > total) {
            backbone.close();
            throw new KensaException("d must be in 1.." + total + ", got " + o.dims());
        }
        int[] channels = chooseChannels(total, o.dims(), o.seed());
        long t0 = System.nanoTime();
        try (FeatureExtractor fx = new FeatureExtractor(pre, backbone, channels, o.threads())) {
            int positions = fx.positions();
            int d = fx.dims();
            int[] foldOf = assignFolds(train.size(), k, o.seed());
            GaussianAccumulator[] acc = new GaussianAccumulator[k];
            Path spill = kfold ? Files.createTempFile("kensa-fit-", ".emb") : null;
            try (FileChannel spillChannel = spill == null ? null
                    : FileChannel.open(spill, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)) {
                Progress bar = progress ? new Progress("fit", train.size()) : Progress.silent(train.size());
                List<ImageInput> inputs = train.stream().map(ImageInput::of).toList();
                ByteBuffer io = ByteBuffer.allocateDirect(positions * d * 4).order(ByteOrder.LITTLE_ENDIAN);
                fx.forEachBatch(inputs, o.batchSize(), e -> {
                    for (PreparedBatch.Item item : e.batch().items()) {
                        if (!item.ok()) {
                            throw new KensaException("training image " + item.input().source() + ": " + item.error());
                        }
                        int offset = item.slot() * positions * d;
                        if (acc[0] == null) {
                            float[] shift = Arrays.copyOfRange(e.embeddings(), offset, offset + positions * d);
                            for (int f = 0; f < acc.length; f++) {
                                acc[f] = new GaussianAccumulator(positions, d, shift);
                            }
                        }
                        acc[foldOf[item.index()]].add(e.embeddings(), offset, 1);
                        if (spillChannel != null) {
                            writeEmbedding(spillChannel, io, e.embeddings(), offset, positions * d, item.index());
                        }
                    }
                    bar.advance(e.batch().items().size());
                });
                List<GaussianAccumulator> all = List.of(acc);
                GaussianStats full = finish(GaussianFit.fit(all, List.of(), fx.gridHeight(), fx.gridWidth(), o.eps()), o);
                double fitSeconds = (System.nanoTime() - t0) / 1e9;
                long accBytes = 0;
                for (GaussianAccumulator a : acc) {
                    accBytes += a.memoryBytes();
                }

                long c0 = System.nanoTime();
                AnomalyMapBuilder maps = new AnomalyMapBuilder(fx.gridWidth(), fx.gridHeight(), o.crop(), o.sigma());
                double[] good;
                double[] defects = null;
                String source;
                if (kfold) {
                    good = outOfFoldScores(spillChannel, io, acc, foldOf, fx, maps, o, progress);
                    source = "kfold-oof(k=" + k + ", " + train.size() + " good)";
                } else if (o.devDir() != null) {
                    DevSet dev = DevSet.of(o.devDir());
                    try (PatchScorer scorer = PatchScorers.cpu(full, o.threads())) {
                        good = scoreImages(fx, scorer, maps, dev.good(), o.batchSize(), "dev good");
                        defects = scoreImages(fx, scorer, maps, dev.defective(), o.batchSize(), "dev defect");
                    }
                    source = "dev(" + good.length + " good, " + defects.length + " defective: " + o.devDir() + ")";
                } else if (o.holdoutDir() != null) {
                    List<Path> held = ImageFiles.list(o.holdoutDir(), "held-out good");
                    try (PatchScorer scorer = PatchScorers.cpu(full, o.threads())) {
                        good = scoreImages(fx, scorer, maps, held, o.batchSize(), "held-out");
                    }
                    source = "holdout(" + good.length + " good: " + o.holdoutDir() + ")";
                } else {
                    // uncalibrated: the training images' own scores, which are optimistic (seen in the fit)
                    try (PatchScorer scorer = PatchScorers.cpu(full, o.threads())) {
                        good = scoreImages(fx, scorer, maps, train, o.batchSize(), "training");
                    }
                    source = "uncalibrated(max training score)";
                }
                double threshold = o.calibrate() ? ThresholdCalibration.threshold(good, o.fpr(), o.margin())
                        : ThresholdCalibration.threshold(good, 0, 0);
                double calibrationSeconds = (System.nanoTime() - c0) / 1e9;

                List<BundleDraft.SelfTestDraft> selfTests = selfTests(train, fx, full, maps, o);
                PipelineConfig pipeline = new PipelineConfig(
                        new PipelineConfig.Image(o.resize(), o.crop()),
                        new PipelineConfig.Smoothing(o.sigma()),
                        new PipelineConfig.Threshold(
                                new PipelineConfig.ImageThreshold(threshold, o.calibrate() ? o.fpr() : 0, source),
                                new PipelineConfig.PixelThreshold(threshold)),
                        new PipelineConfig.Regions(10, 0),
                        new PipelineConfig.Heatmap(256, 85));
                String name = o.name() != null ? o.name() : defaultName(o.trainDir());
                String id = name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
                Manifest.Input input = new Manifest.Input("image", o.crop(), o.crop(), IMAGENET_MEAN, IMAGENET_STD, "RGB");
                BundleDraft draft = new BundleDraft(id, name, Version.VERSION, o.backbone(), input, RESNET_OUTPUTS,
                        new int[]{fx.gridHeight(), fx.gridWidth()}, total, channels, o.seed(), full,
                        new Manifest.Training(train.size(), o.trainDir().toAbsolutePath().toString(), o.eps()),
                        pipeline, selfTests);
                ModelBundle bundle = writeBundle(o.output(), draft);
                return new FitReport(bundle, train.size(), fitSeconds, calibrationSeconds, threshold, source,
                        ThresholdCalibration.rateAbove(good, threshold),
                        defects == null ? null : 1 - ThresholdCalibration.rateAbove(defects, threshold), accBytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ModelBundle writeBundle(Path output, BundleDraft draft) {
        String file = output.getFileName().toString();
        if (file.endsWith(".zip")) {
            Path dir = output.resolveSibling(file.substring(0, file.length() - 4));
            ModelBundle b = BundleWriter.write(dir, draft);
            BundleWriter.zip(dir, output);
            return b;
        }
        return BundleWriter.write(output, draft);
    }

    private static GaussianStats finish(GaussianStats stats, FitOptions o) {
        return o.float16() ? stats.toFloat16() : stats;
    }

    /** d channels of {@code total}, drawn by a seeded shuffle, ascending. */
    public static int[] chooseChannels(int total, int dims, long seed) {
        int[] all = new int[total];
        for (int i = 0; i < total; i++) {
            all[i] = i;
        }
        Random r = new Random(seed);
        for (int i = total - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] kept = Arrays.copyOf(all, dims);
        Arrays.sort(kept);
        return kept;
    }

    /** Fold of each image: a seeded shuffle dealt round-robin, so folds differ in size by at most one. */
    static int[] assignFolds(int n, int k, long seed) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Collections.shuffle(Arrays.asList(order), new Random(seed ^ 0x5DEECE66DL));
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[order[i]] = i % k;
        }
        return fold;
    }

    private static void writeEmbedding(FileChannel ch, ByteBuffer io, float[] src, int offset, int length, int index) {
        io.clear();
        io.asFloatBuffer().put(src, offset, length);
        io.limit(length * 4);
        try {
            long pos = (long) index * length * 4;
            while (io.hasRemaining()) {
                pos += ch.write(io, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spill embeddings to disk: " + e.getMessage(), e);
        }
    }

    private static void readEmbedding(FileChannel ch, ByteBuffer io, float[] dst, int offset, int length, int index) {
        io.clear();
        io.limit(length * 4);
        try {
            long pos = (long) index * length * 4;
            while (io.hasRemaining()) {
                int r = ch.read(io, pos);
                if (r < 0) {
                    throw new IOException("spill file ended early");
                }
                pos += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spilled embeddings: " + e.getMessage(), e);
        }
        io.flip();
        io.asFloatBuffer().get(dst, offset, length);
    }

    private static double[] outOfFoldScores(FileChannel spill, ByteBuffer io, GaussianAccumulator[] acc, int[] foldOf,
                                            FeatureExtractor fx, AnomalyMapBuilder maps, FitOptions o, boolean progress) {
        int positions = fx.positions();
        int d = fx.dims();
        int length = positions * d;
        double[] scores = new double[foldOf.length];
        Progress bar = progress ? new Progress("calibrate", foldOf.length) : Progress.silent(foldOf.length);
        int batch = Math.max(1, o.batchSize());
        float[] emb = new float[batch * length];
        for (int f = 0; f < acc.length; f++) {
            GaussianStats stats = finish(GaussianFit.fit(List.of(acc), List.of(acc[f]), fx.gridHeight(), fx.gridWidth(), o.eps()), o);
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < foldOf.length; i++) {
                if (foldOf[i] == f) {
                    members.add(i);
                }
            }
            try (PatchScorer scorer = PatchScorers.cpu(stats, o.threads())) {
                for (int s = 0; s < members.size(); s += batch) {
                    int n = Math.min(batch, members.size() - s);
                    for (int j = 0; j < n; j++) {
                        readEmbedding(spill, io, emb, j * length, length, members.get(s + j));
                    }
                    AnomalyMap[] m = Inspector.score(scorer, maps, emb, n, positions);
                    for (int j = 0; j < n; j++) {
                        scores[members.get(s + j)] = m[j].score();
                    }
                    bar.advance(n);
                }
            }
        }
        return scores;
    }

    /** Image scores of a folder's images with the given model; any unreadable image stops the fit. */
    static double[] scoreImages(FeatureExtractor fx, PatchScorer scorer, AnomalyMapBuilder maps,
                                List<Path> files, int batchSize, String what) {
        List<ImageInput> inputs = files.stream().map(ImageInput::of).toList();
        return scoreInputs(fx, scorer, maps, inputs, batchSize, what);
    }

    static double[] scoreInputs(FeatureExtractor fx, PatchScorer scorer, AnomalyMapBuilder maps,
                                List<ImageInput> inputs, int batchSize, String what) {
        double[] scores = new double[inputs.size()];
        int positions = fx.positions();
        fx.forEachBatch(inputs, batchSize, e -> {
            for (PreparedBatch.Item item : e.batch().items()) {
                if (!item.ok()) {
                    throw new KensaException(what + " image " + item.input().source() + ": " + item.error());
                }
            }
            if (e.batch().size() == 0) {
                return;
            }
            AnomalyMap[] m = Inspector.score(scorer, maps, e.embeddings(), e.batch().size(), positions);
            for (PreparedBatch.Item item : e.batch().items()) {
                scores[item.index()] = m[item.slot()].score();
            }
        });
        return scores;
    }

    /**
     * Golden images checked at every load: three training images (first, middle, last), stored already resized to
     * the pipeline's square so the PNG is small and decodes to exactly the backbone's input.
     */
    private static List<BundleDraft.SelfTestDraft> selfTests(List<Path> train, FeatureExtractor fx, GaussianStats stats,
                                                            AnomalyMapBuilder maps, FitOptions o) throws IOException {
        int[] picks = {0, train.size() / 2, train.size() - 1};
        List<ImageInput> inputs = new ArrayList<>();
        List<byte[]> pngs = new ArrayList<>();
        for (int i : Arrays.stream(picks).distinct().toArray()) {
            byte[] png = resizedPng(Files.readAllBytes(train.get(i)), o.resize());
            pngs.add(png);
            inputs.add(ImageInput.of("selftest-" + pngs.size(), png));
        }
        double[] expected;
        try (PatchScorer scorer = PatchScorers.cpu(stats, o.threads())) {
            expected = scoreInputs(fx, scorer, maps, inputs, o.batchSize(), "self-test");
        }
        List<BundleDraft.SelfTestDraft> out = new ArrayList<>();
        for (int i = 0; i < pngs.size(); i++) {
            // ONNX Runtime differs across CPUs (x86 vs arm64, SIMD width) by ~1e-5 relative; 0.5 % still catches a
            // wrong backbone, wrong statistics or a changed preprocessing
            out.add(new BundleDraft.SelfTestDraft(i + ".png", pngs.get(i), expected[i], Math.max(1e-4, 0.005 * expected[i])));
        }
        return out;
    }

    static byte[] resizedPng(byte[] encoded, int side) {
        try (BytePointer data = new BytePointer(encoded);
             Mat raw = new Mat(1, encoded.length, CV_8U, data);
             Mat image = imdecode(raw, IMREAD_COLOR);
             Mat small = new Mat();
             Size size = new Size(side, side);
             BytePointer png = new BytePointer()) {
            if (image.empty()) {
                throw new KensaException("cannot decode self-test image");
            }
            boolean down = image.cols() >= side && image.rows() >= side;
            resize(image, small, size, 0, 0, down ? INTER_AREA : INTER_LINEAR);
            if (!imencode(".png", small, png)) {
                throw new KensaException("cannot encode self-test PNG");
            }
            byte[] out = new byte[(int) png.limit()];
            png.get(out);
            return out;
        }
    }

    static String defaultName(Path trainDir) {
        Path p = trainDir.toAbsolutePath().normalize();
        // MVTec: <category>/train/good -> category
        while (p.getParent() != null && (p.getFileName().toString().equals("good") || p.getFileName().toString().equals("train"))) {
            p = p.getParent();
        }
        return p.getFileName() == null ? "model" : p.getFileName().toString();
    }

    private static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (var s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
