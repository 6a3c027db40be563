package dev.kensa.bench;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.backbone.Backbone;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.image.ImageTensor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.post.AnomalyMap;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.PatchScorer;
import dev.kensa.score.PatchScorers;
import dev.kensa.util.Progress;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kensa bench}: per-stage latency and end-to-end throughput of the inspection path on real images, each
 * batch size measured side by side in one run (this machine is noisy: compare ratios, not absolute numbers
 * across runs). Images are read into memory first, so disk speed is not part of any figure.
 *
 * <p>Stage rows are single stream: one image (or one batch, divided by its size) at a time, every stage using the
 * configured threads. End-to-end runs the real {@link Inspector} (decode overlapped with inference) plus heatmap
 * JPEG and result JSON for every image; backbone-only runs the backbone alone on pre-decoded tensors at the same
 * batch and threads. The Mahalanobis rows compare the scalar and vector kernels and float32/float16 statistics.
 */
public final class Bench {
    private Bench() {
    }

    @JsonPropertyOrder({"stage", "meanMs", "p50Ms", "p95Ms"})
    public record Stage(String stage, double meanMs, double p50Ms, double p95Ms) {
    }

    public record BatchRun(int batch, List<Stage> stages, double endToEndImagesPerS, double backboneOnlyImagesPerS,
                           double endToEndOverBackbone, double scoreAndPostOverBackbone) {
    }

    public record Soak(int images, long rssStartKb, long rssEndKb, double imagesPerS) {
    }

    public record Report(String model, String backend, String cpuKernel, int threads, int images, int imageWidth,
                         int imageHeight, long statsBytesFloat32, long statsBytesFloat16, List<BatchRun> runs, Soak soak) {
    }

    public static Report run(ModelBundle bundle, List<Path> files, int count, int[] batches, int threads, int soakImages,
                             boolean progress) throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(Files.readAllBytes(files.get(i % files.size())));
        }
        List<BatchRun> runs = new ArrayList<>();
        String backend;
        int w = 0, h = 0;
        Soak soak = null;
        GaussianStats f32 = bundle.stats().dtype() == GaussianStats.Dtype.FLOAT32 ? bundle.stats() : null;
        long statsF32 = f32 != null ? f32.memoryBytes() : bundle.stats().memoryBytes() + 2L * bundle.stats().factor16().length;
        long statsF16 = bundle.stats().toFloat16().memoryBytes();
        try (Inspector inspector = Inspector.open(bundle, threads, Arrays.stream(batches).max().orElse(8))) {
            backend = inspector.describeBackend();
            for (int batch : batches) {
                BatchRun r = measure(bundle, inspector, images, batch, threads, progress);
                runs.add(r);
            }
            try (Mat m = inspector.features().preprocessor().decode(images.get(0))) {
                w = m.cols();
                h = m.rows();
            }
            if (soakImages > 0) {
                soak = soak(bundle, images, soakImages, threads, progress);
            }
        }
        return new Report(bundle.id(), backend, PatchScorers.cpuKernel(), threads, count, w, h, statsF32, statsF16, runs, soak);
    }

    private static BatchRun measure(ModelBundle bundle, Inspector inspector, List<byte[]> images, int batch, int threads,
                                    boolean progress) throws Exception {
        ImagePreprocessor pre = inspector.features().preprocessor();
        Backbone backbone = inspector.features().backbone();
        EmbeddingExtractor gather = new EmbeddingExtractor(bundle.channels());
        int positions = inspector.features().positions();
        int tensor = pre.tensorSize();
        ObjectMapper json = new ObjectMapper();
        Map<String, List<Double>> t = new LinkedHashMap<>();
        for (String s : List.of("decode", "preprocess", "backbone", "gather", "mahalanobis", "mahalanobis-scalar",
                "mahalanobis-f16", "post", "heatmap", "result-json")) {
            t.put(s, new ArrayList<>());
        }
        GaussianStats stats = bundle.stats();
        Progress bar = progress ? new Progress("stages b=" + batch, images.size()) : Progress.silent(images.size());
        try (PatchScorer scalar = PatchScorers.scalar(stats, threads);
             PatchScorer f16 = PatchScorers.cpu(stats.toFloat16(), threads)) {
            float[] input = new float[batch * tensor];
            float[] distances = new float[batch * positions];
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
                        if (counted) {
                            t.get("decode").add(ms(t0, t1));
                            t.get("preprocess").add(ms(t1, t2));
                        }
                    }
                }
                long b0 = System.nanoTime();
                FeatureMaps maps = backbone.extract(input, batch);
                long b1 = System.nanoTime();
                float[] emb = gather.extract(maps);
                long b2 = System.nanoTime();
                inspector.scorer().score(emb, batch, distances);
                long b3 = System.nanoTime();
                scalar.score(emb, batch, new float[batch * positions]);
                long b4 = System.nanoTime();
                f16.score(emb, batch, new float[batch * positions]);
                long b5 = System.nanoTime();
                if (counted) {
                    t.get("backbone").add(ms(b0, b1) / batch);
                    t.get("gather").add(ms(b1, b2) / batch);
                    t.get("mahalanobis").add(ms(b2, b3) / batch);
                    t.get("mahalanobis-scalar").add(ms(b3, b4) / batch);
                    t.get("mahalanobis-f16").add(ms(b4, b5) / batch);
                }
                for (int i = 0; i < batch; i++) {
                    long p0 = System.nanoTime();
                    AnomalyMap map = inspector.maps().build(distances, i * positions);
                    var regions = inspector.regions().find(map, prepared[i].originalWidth(), prepared[i].originalHeight());
                    long p1 = System.nanoTime();
                    Inspection in = new Inspection(0, null, map, prepared[i].thumbnail(), prepared[i].originalWidth(), prepared[i].originalHeight());
                    byte[] jpeg = inspector.heatmapJpeg(in);
                    long p2 = System.nanoTime();
                    json.writeValueAsBytes(Map.of("score", map.score(), "regions", regions, "heatmapBytes", jpeg.length));
                    long p3 = System.nanoTime();
                    if (counted) {
                        t.get("post").add(ms(p0, p1));
                        t.get("heatmap").add(ms(p1, p2));
                        t.get("result-json").add(ms(p2, p3));
                    }
                }
                if (counted) {
                    bar.advance(batch);
                }
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (var e : t.entrySet()) {
            stages.add(stage(e.getKey(), e.getValue()));
        }

        // backbone alone on pre-decoded tensors, same batch and threads
        float[] input = new float[batch * tensor];
        for (int i = 0; i < batch; i++) {
            pre.prepare(images.get(i), input, i * tensor);
        }
        int rounds = Math.max(1, images.size() / batch);
        backbone.extract(input, batch);
        long bb0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            backbone.extract(input, batch);
        }
        double backboneOnly = rounds * batch / ((System.nanoTime() - bb0) / 1e9);

        // end to end: decode (overlapped) -> result, heatmap JPEG and result JSON for every image
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            inputs.add(ImageInput.of("bench-" + i, images.get(i)));
        }
        double endToEnd;
        try (Inspector e2e = Inspector.open(bundle, threads, batch)) {
            e2e.inspect(inputs.subList(0, Math.min(inputs.size(), 2 * batch)), in -> { });
            long e0 = System.nanoTime();
            int[] done = {0};
            e2e.inspect(inputs, in -> {
                try {
                    e2e.heatmapJpeg(in);
                    json.writeValueAsBytes(in.result());
                    done[0]++;
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            });
            endToEnd = done[0] / ((System.nanoTime() - e0) / 1e9);
        }
        double backboneMean = mean(t.get("backbone"));
        double scoreAndPost = mean(t.get("mahalanobis")) + mean(t.get("post"));
        return new BatchRun(batch, stages, round(endToEnd), round(backboneOnly), round(endToEnd / backboneOnly),
                round(scoreAndPost / backboneMean));
    }

    private static Soak soak(ModelBundle bundle, List<byte[]> images, int n, int threads, boolean progress) {
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inputs.add(ImageInput.of("soak-" + i, images.get(i % images.size())));
        }
        Progress bar = progress ? new Progress("soak", n) : Progress.silent(n);
        try (Inspector in = Inspector.open(bundle, threads, 8)) {
            in.inspect(inputs.subList(0, Math.min(n, 64)), x -> in.heatmapJpeg(x));
            System.gc();
            long rss0 = rssKb();
            long t0 = System.nanoTime();
            in.inspect(inputs, x -> {
                in.heatmapJpeg(x);
                bar.advance(1);
            });
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            System.gc();
            return new Soak(n, rss0, rssKb(), round(rate));
        }
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
        sb.append(String.format("model %s, %d images %dx%d, %d threads%nbackend %s%n", r.model(), r.images(),
                r.imageWidth(), r.imageHeight(), r.threads(), r.backend()));
        sb.append(String.format("statistics memory: float32 %.1f MB, float16 %.1f MB%n", r.statsBytesFloat32() / 1e6,
                r.statsBytesFloat16() / 1e6));
        sb.append(String.format("%-20s", "stage ms/image"));
        for (BatchRun b : r.runs()) {
            sb.append(String.format("%24s", "batch " + b.batch() + " mean/p50/p95"));
        }
        sb.append('\n');
        for (int s = 0; s < r.runs().get(0).stages().size(); s++) {
            sb.append(String.format("%-20s", r.runs().get(0).stages().get(s).stage()));
            for (BatchRun b : r.runs()) {
                Stage st = b.stages().get(s);
                sb.append(String.format("%24s", String.format("%.2f/%.2f/%.2f", st.meanMs(), st.p50Ms(), st.p95Ms())));
            }
            sb.append('\n');
        }
        for (BatchRun b : r.runs()) {
            sb.append(String.format("batch %d: end-to-end %.1f img/s, backbone only %.1f img/s, ratio %.2f; "
                            + "(mahalanobis + post) / backbone = %.3f%n", b.batch(), b.endToEndImagesPerS(),
                    b.backboneOnlyImagesPerS(), b.endToEndOverBackbone(), b.scoreAndPostOverBackbone()));
        }
        if (r.soak() != null) {
            sb.append(String.format("soak %d images: RSS %d MB -> %d MB, %.1f img/s%n", r.soak().images(),
                    r.soak().rssStartKb() / 1024, r.soak().rssEndKb() / 1024, r.soak().imagesPerS()));
        }
        return sb.toString();
    }
}
