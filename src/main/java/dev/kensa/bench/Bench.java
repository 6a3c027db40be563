package dev.kensa.bench;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.gpu.Backends;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.gpu.Precision;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.image.ImageTensor;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodScorer;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.score.MahalanobisScorers;
import dev.kensa.util.Progress;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.Verdict;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kensa bench}: per-stage latency and end-to-end throughput of the inspection path on real images, each
 * batch size (and, on a GPU, each engine precision) measured side by side in one run (this machine is noisy:
 * compare ratios, not absolute numbers across runs). Images are read into memory first, so disk speed is not part
 * of any figure.
 *
 * <p>Stage rows are single stream: one image (or one batch, divided by its size) at a time, every stage using the
 * configured threads. The backbone, embedding and distance rows are the model's own route
 * ({@link Inspector#scoreTensors}); their names are the method's (PaDiM: "gather", "mahalanobis"; PatchCore:
 * "embedding", "nearest-neighbour"). On the GPU the backbone leaves its layers on the device and the distance row is
 * the fused kernel (no embedding row); on the CPU the method's comparison kernels (e.g. PaDiM's scalar kernel and
 * float16 statistics) are measured beside the one in use on the same features. The JSON keys are the same for every
 * method: {@code mahalanobisOverBackbone} is the method's distance stage over the backbone. Figures per batch: end to end (the real {@link Inspector}, decode overlapped,
 * heatmap JPEG and result JSON for every image); from pre-decoded tensors (backbone, Mahalanobis, anomaly maps and
 * regions as the inspector makes them, images of a batch in parallel; no decode, no JPEG); the backbone alone. The
 * "post" row is one image at a time.
 */
public final class Bench {
    private Bench() {
    }

    @JsonPropertyOrder({"stage", "meanMs", "p50Ms", "p95Ms"})
    public record Stage(String stage, double meanMs, double p50Ms, double p95Ms) {
    }

    /**
     * @param precision               the engine precision on a GPU, "fp32" on the CPU (ONNX Runtime computes float32)
     * @param mahalanobisOverBackbone the Mahalanobis stage's share of the backbone's time
     */
    public record BatchRun(int batch, String precision, List<Stage> stages, double endToEndImagesPerS,
                           double predecodedImagesPerS, double backboneOnlyImagesPerS, double endToEndOverBackbone,
                           double mahalanobisOverBackbone, double scoreAndPostOverBackbone) {
    }

    public record Soak(int images, long rssStartKb, long rssEndKb, double imagesPerS) {
    }

    /**
     * @param gpu               the GPU probe's one line: name, compute capability and memory, or why there is none
     * @param statsBytesFloat32 the method's model in memory as float32 (PaDiM statistics, PatchCore memory bank)
     * @param statsBytesFloat16 the same stored as float16
     */
    public record Report(String model, String method, String modelDescription, String backend, String route, String gpu,
                         String cpuKernel, int threads, int images, int imageWidth, int imageHeight,
                         long statsBytesFloat32, long statsBytesFloat16, List<BatchRun> runs, Soak soak) {
    }

    /**
     * @param backend    which backend to open ({@code mode}, engine cache); its precision is replaced by each of
     *                   {@code precisions} in turn on a GPU
     * @param precisions engine precisions to compare (GPU only; the CPU runs once)
     */
    public static Report run(ModelBundle bundle, List<Path> files, int count, int[] batches, int threads, int soakImages,
                             Backends.Options backend, List<Precision> precisions, boolean progress) throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(Files.readAllBytes(files.get(i % files.size())));
        }
        List<BatchRun> runs = new ArrayList<>();
        String described = null, route = null;
        int w = 0, h = 0;
        Soak soak = null;
        long statsF32 = bundle.model().memoryBytesFloat32();
        long statsF16 = bundle.model().memoryBytesFloat16();
        int maxBatch = Arrays.stream(batches).max().orElse(8);
        boolean gpu = Backends.choose(backend.mode()).gpu();
        List<Precision> passes = gpu ? precisions : List.of(Precision.FP32);
        for (Precision precision : passes) {
            Backends.Options options = new Backends.Options(backend.mode(), backend.cacheDir(), precision);
            // one inspector per precision for every batch size: a GPU builds (or loads) one engine for batch 1..max
            try (Inspector inspector = Inspectors.open(bundle, threads, maxBatch, options)) {
                String label = inspector.route().equals("fused") ? precision.name().toLowerCase(Locale.ROOT) : "fp32";
                described = described == null ? inspector.describeBackend() : described + "; " + inspector.describeBackend();
                route = inspector.route();
                for (int batch : batches) {
                    runs.add(measure(bundle, inspector, images, batch, label, threads, progress));
                }
                if (w == 0) {
                    try (Mat m = inspector.features().preprocessor().decode(images.get(0))) {
                        w = m.cols();
                        h = m.rows();
                    }
                }
                if (soakImages > 0 && soak == null) {
                    soak = soak(inspector, images, soakImages, progress);
                }
            }
        }
        return new Report(bundle.id(), bundle.method(), bundle.model().describe(), described, route, GpuProbe.status().describe(),
                MahalanobisScorers.cpuKernel(), threads, count, w, h, statsF32, statsF16, runs, soak);
    }

    /**
     * What the image-quality gates add to the prepare stage: the statistics of the resized square the preprocessing
     * already made (made again here, untimed) and the checks; with a pipeline that does not resize to 256, the
     * statistics' own resize is part of it. 0 when every check is off.
     */
    private static double qualityGateMs(Mat image, ImagePreprocessor pre, dev.kensa.quality.QualityGate gate) {
        if (gate.off()) {
            return 0;
        }
        if (pre.geometry().resize() != dev.kensa.quality.ImageQuality.SIDE) {
            long q0 = System.nanoTime();
            gate.check(dev.kensa.quality.ImageQuality.measure(image));
            return ms(q0, System.nanoTime());
        }
        int side = dev.kensa.quality.ImageQuality.SIDE;
        try (Mat square = new Mat(); org.bytedeco.opencv.opencv_core.Size size = new org.bytedeco.opencv.opencv_core.Size(side, side)) {
            boolean down = image.cols() >= side && image.rows() >= side;
            org.bytedeco.opencv.global.opencv_imgproc.resize(image, square, size, 0, 0,
                    down ? org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA : org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR);
            long q0 = System.nanoTime();
            gate.check(dev.kensa.quality.ImageQuality.ofSquare(square, image.cols(), image.rows()));
            return ms(q0, System.nanoTime());
        }
    }

    private static BatchRun measure(ModelBundle bundle, Inspector inspector, List<byte[]> images, int batch, String precision,
                                    int threads, boolean progress) throws Exception {
        ImagePreprocessor pre = inspector.features().preprocessor();
        boolean host = inspector.route().equals("host");
        int positions = inspector.positions();
        int tensor = pre.tensorSize();
        ObjectMapper json = new ObjectMapper();
        MethodScorer scorer = inspector.scorer();
        String embeddingRow = scorer.embeddingStage();
        String distanceRow = scorer.distanceStage();
        // the method's comparison kernels run on host features only: on the GPU route there are none
        List<MethodModel.BenchVariant> variants = host ? bundle.model().benchVariants(threads) : List.of();
        Map<String, List<Double>> t = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>(List.of("decode", "preprocess", "quality", "backbone"));
        dev.kensa.quality.QualityGate gate = inspector.qualityGate();
        if (host) {
            rows.add(embeddingRow);
        }
        rows.add(distanceRow);
        for (MethodModel.BenchVariant v : variants) {
            rows.add(distanceRow + "-" + v.name());
        }
        rows.addAll(List.of("post", "heatmap", "result-json"));
        for (String s : rows) {
            t.put(s, new ArrayList<>());
        }
        Progress bar = progress ? new Progress("stages b=" + batch + " " + precision, images.size()) : Progress.silent(images.size());
        try {
            float[] input = new float[batch * tensor];
            float[] distances = new float[batch * positions];
            double[] imageScores = new double[batch];
            float[] otherDistances = new float[batch * positions];
            double[] otherScores = new double[batch];
            // the first batches (at least 24 images) warm the JIT up and are not counted
            int warm = ((24 + batch - 1) / batch) * batch;
            for (int start = -warm; start + batch <= images.size(); start += batch) {
                boolean counted = start >= 0;
                int from = Math.floorMod(start, images.size() - images.size() % batch);
                ImageTensor[] prepared = new ImageTensor[batch];
                for (int i = 0; i < batch; i++) {
                    byte[] img = images.get(from + i);
                    long t0 = System.nanoTime();
                    try (Mat m = pre.decode(img)) {
                        long t1 = System.nanoTime();
                        prepared[i] = pre.prepare(m, input, i * tensor);
                        long t2 = System.nanoTime();
                        double qualityMs = qualityGateMs(m, pre, gate);
                        if (counted) {
                            t.get("decode").add(ms(t0, t1));
                            t.get("preprocess").add(ms(t1, t2));
                            t.get("quality").add(qualityMs);
                        }
                    }
                }
                if (host) {
                    // the route's own stages, then the comparison kernels on the same features
                    FeatureExtractor.Extracted e = inspector.features().extract(input, batch);
                    MethodScorer.Times st = scorer.score(e.maps(), distances, imageScores);
                    if (counted) {
                        t.get("backbone").add(e.backboneMs() / batch);
                        t.get(embeddingRow).add(st.embeddingMs() / batch);
                        t.get(distanceRow).add(st.distanceMs() / batch);
                    }
                    for (MethodModel.BenchVariant v : variants) {
                        MethodScorer.Times vt = v.scorer().score(e.maps(), otherDistances, otherScores);
                        if (counted) {
                            t.get(distanceRow + "-" + v.name()).add(vt.distanceMs() / batch);
                        }
                    }
                } else {
                    Inspector.StageTimes st = inspector.scoreTensors(input, batch, distances, imageScores);
                    if (counted) {
                        t.get("backbone").add(st.backboneMs() / batch);
                        t.get(distanceRow).add((st.embeddingMs() + st.distanceMs()) / batch);
                    }
                }
                for (int i = 0; i < batch; i++) {
                    Inspector.Post post = inspector.postImage(distances, i, imageScores[i], prepared[i].originalWidth(),
                            prepared[i].originalHeight());
                    long p1 = System.nanoTime();
                    InspectionResult result = new InspectionResult("bench", "", "bench", Verdict.of(post.score(), inspector.threshold()),
                            post.score(), post.score() / inspector.threshold(), inspector.threshold(), InspectionResult.THRESHOLD_BUNDLE,
                            null, post.regions(), null, null);
                    Inspection in = new Inspection(0, result, post.map(), prepared[i].thumbnail(), prepared[i].originalWidth(),
                            prepared[i].originalHeight());
                    byte[] jpeg = inspector.heatmapJpeg(in);
                    long p2 = System.nanoTime();
                    json.writeValueAsBytes(Map.of("score", post.score(), "regions", post.regions(), "heatmapBytes", jpeg.length));
                    long p3 = System.nanoTime();
                    if (counted) {
                        t.get("post").add(post.ms());
                        t.get("heatmap").add(ms(p1, p2));
                        t.get("result-json").add(ms(p2, p3));
                    }
                }
                if (counted) {
                    bar.advance(batch);
                }
            }
        } finally {
            for (MethodModel.BenchVariant v : variants) {
                v.scorer().close();
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (var e : t.entrySet()) {
            stages.add(stage(e.getKey(), e.getValue()));
        }

        // pre-decoded tensors in memory: the backbone alone, then backbone + Mahalanobis + map + regions
        float[] input = new float[batch * tensor];
        int[] widths = new int[batch];
        int[] heights = new int[batch];
        for (int i = 0; i < batch; i++) {
            ImageTensor it = pre.prepare(images.get(i), input, i * tensor);
            widths[i] = it.originalWidth();
            heights[i] = it.originalHeight();
        }
        int rounds = Math.max(2, images.size() / batch);
        float[] distances = new float[batch * positions];
        double[] imageScores = new double[batch];
        inspector.scoreTensors(input, batch, distances, imageScores);
        long bb0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            backboneOnly(inspector, input, batch);
        }
        double backboneOnly = rounds * batch / ((System.nanoTime() - bb0) / 1e9);
        long pd0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            inspector.scoreTensors(input, batch, distances, imageScores);
            inspector.post(distances, imageScores, widths, heights);
        }
        double predecoded = rounds * batch / ((System.nanoTime() - pd0) / 1e9);

        // end to end: decode (overlapped) -> result, heatmap JPEG and result JSON for every image
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            inputs.add(ImageInput.of("bench-" + i, images.get(i)));
        }
        inspector.inspect(inputs.subList(0, Math.min(inputs.size(), 2 * batch)), batch, in -> { });
        long e0 = System.nanoTime();
        int[] done = {0};
        inspector.inspect(inputs, batch, in -> {
            try {
                inspector.heatmapJpeg(in);
                json.writeValueAsBytes(in.result());
                done[0]++;
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        double endToEnd = done[0] / ((System.nanoTime() - e0) / 1e9);
        double backboneMean = mean(t.get("backbone"));
        double mahalanobis = mean(t.get(distanceRow));
        double scoreAndPost = mahalanobis + mean(t.get("post"));
        return new BatchRun(batch, precision, stages, round(endToEnd), round(predecoded), round(backboneOnly),
                round(endToEnd / backboneOnly), round(mahalanobis / backboneMean), round(scoreAndPost / backboneMean));
    }

    /** The backbone as the route runs it: outputs left on the device (GPU) or copied to the host (CPU). */
    private static void backboneOnly(Inspector inspector, float[] input, int batch) {
        if (inspector.route().equals("fused")) {
            ((DeviceBackbone) inspector.features().backbone()).extractOnDevice(input, batch);
        } else {
            inspector.features().backbone().extract(input, batch);
        }
    }

    private static Soak soak(Inspector in, List<byte[]> images, int n, boolean progress) {
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inputs.add(ImageInput.of("soak-" + i, images.get(i % images.size())));
        }
        Progress bar = progress ? new Progress("soak", n) : Progress.silent(n);
        int batch = Math.min(8, in.batchSize());
        in.inspect(inputs.subList(0, Math.min(n, 64)), batch, x -> in.heatmapJpeg(x));
        System.gc();
        long rss0 = rssKb();
        long t0 = System.nanoTime();
        in.inspect(inputs, batch, x -> {
            in.heatmapJpeg(x);
            bar.advance(1);
        });
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        System.gc();
        return new Soak(n, rss0, rssKb(), round(rate));
    }

    /** Resident set size of this process from /proc (Linux), or -1. */
    public static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }

    private static Stage stage(String name, List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length == 0) {
            return new Stage(name, 0, 0, 0);
        }
        return new Stage(name, round(mean(v)), round(a[a.length / 2]), round(a[Math.min(a.length - 1, (int) (a.length * 0.95))]));
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    private static double ms(long a, long b) {
        return (b - a) / 1e6;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The report as a table a person reads. */
    public static String table(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("model %s, %d images %dx%d, %d threads%n%s%nbackend %s (%s route)%ngpu %s%n", r.model(),
                r.images(), r.imageWidth(), r.imageHeight(), r.threads(), r.modelDescription(), r.backend(), r.route(), r.gpu()));
        sb.append(String.format("model memory: float32 %.1f MB, float16 %.1f MB%n", r.statsBytesFloat32() / 1e6,
                r.statsBytesFloat16() / 1e6));
        sb.append(String.format("%-20s", "stage ms/image"));
        for (BatchRun b : r.runs()) {
            sb.append(String.format("%26s", "b" + b.batch() + " " + b.precision() + " mean/p50/p95"));
        }
        sb.append('\n');
        for (int s = 0; s < r.runs().get(0).stages().size(); s++) {
            sb.append(String.format("%-20s", r.runs().get(0).stages().get(s).stage()));
            for (BatchRun b : r.runs()) {
                Stage st = b.stages().get(s);
                sb.append(String.format("%26s", String.format("%.2f/%.2f/%.2f", st.meanMs(), st.p50Ms(), st.p95Ms())));
            }
            sb.append('\n');
        }
        for (BatchRun b : r.runs()) {
            sb.append(String.format("batch %d %s: end-to-end %.1f img/s, pre-decoded %.1f img/s, backbone only %.1f img/s, "
                            + "end-to-end/backbone %.2f; distance/backbone %.3f, (distance + post)/backbone %.3f%n",
                    b.batch(), b.precision(), b.endToEndImagesPerS(), b.predecodedImagesPerS(), b.backboneOnlyImagesPerS(),
                    b.endToEndOverBackbone(), b.mahalanobisOverBackbone(), b.scoreAndPostOverBackbone()));
        }
        if (r.soak() != null) {
            sb.append(String.format("soak %d images: RSS %d MB -> %d MB, %.1f img/s%n", r.soak().images(),
                    r.soak().rssStartKb() / 1024, r.soak().rssEndKb() / 1024, r.soak().imagesPerS()));
        }
        return sb.toString();
    }
}
