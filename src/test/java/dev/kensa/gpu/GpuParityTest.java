package dev.kensa.gpu;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU box only: TensorRT (FP32) + CUDA scorer on the fused route against the CPU path on real bottles, image scores
 * within 1e-3 relative; the engine cache reused on the second open; bottle AUROC unchanged with an FP16 engine; no
 * device memory left behind by open/inspect/close cycles. Skips itself where {@link GpuProbe} finds no GPU. Run on a
 * GPU box with {@code ./mvnw test -Dgroups=gpu}.
 */
@Tag("gpu")
class GpuParityTest {
    @TempDir
    static Path tmp;
    static ModelBundle bundle;

    @BeforeAll
    static void fit() throws Exception {
        if (!GpuProbe.status().available()) {
            return; // every test skips itself, saying why (below)
        }
        Path train = tmp.resolve("train");
        Files.createDirectories(train);
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 24; i++) {
                Files.copy(all.get(i * 8), train.resolve(all.get(i * 8).getFileName()));
            }
        }
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")), false).bundle();
    }

    @BeforeEach
    void needsAGpu() {
        GpuStatus gpu = GpuProbe.status();
        Assumptions.assumeTrue(gpu.available(), "GPU test skipped: no GPU backend on this box: " + gpu.reason());
    }

    static List<ImageInput> images() throws Exception {
        List<ImageInput> in = new ArrayList<>();
        for (String type : List.of("good", "broken_large", "contamination")) {
            try (var s = Files.list(TestData.bottle().resolve("test").resolve(type))) {
                s.sorted().limit(3).map(ImageInput::of).forEach(in::add);
            }
        }
        return in;
    }

    static double[] scores(Inspector inspector, List<ImageInput> in) {
        double[] out = new double[in.size()];
        inspector.inspect(in, i -> out[i.index()] = i.result().score());
        return out;
    }

    @Test
    void tensorRtFp32AndCudaScorerMatchTheCpuPath() throws Exception {
        List<ImageInput> in = images();
        Backends.Options gpu = new Backends.Options(Backends.Mode.TENSORRT, tmp.resolve("engine-cache"), Precision.FP32);
        double[] cpu, onGpu;
        try (Inspector c = Inspectors.openCpu(bundle, 2, 4)) {
            cpu = scores(c, in);
        }
        try (Inspector g = Inspectors.open(bundle, 2, 4, gpu)) {
            assertTrue(g.describeBackend().startsWith("tensorrt "), g.describeBackend());
            assertEquals("fused", g.route(), "TensorRT layers go straight to the CUDA kernel");
            assertTrue(g.describeBackend().contains(GpuProbe.status().name()), g.describeBackend());
            onGpu = scores(g, in);
        }
        for (int i = 0; i < cpu.length; i++) {
            assertEquals(cpu[i], onGpu[i], 1e-3 * Math.abs(cpu[i]), "image " + in.get(i).source());
        }
        try (Inspector again = Inspectors.open(bundle, 2, 4, gpu)) {
            assertTrue(again.describeBackend().contains("cached engine"), "second open reuses the engine: " + again.describeBackend());
        }
        try (var files = Files.list(tmp.resolve("engine-cache"))) {
            assertFalse(files.toList().isEmpty());
        }
    }

    static List<ImageInput> allTestImages(List<Boolean> anomalous) throws Exception {
        List<ImageInput> in = new ArrayList<>();
        try (var types = Files.list(TestData.bottle().resolve("test"))) {
            for (Path type : types.sorted().toList()) {
                try (var s = Files.list(type)) {
                    for (Path p : s.sorted().toList()) {
                        in.add(ImageInput.of(p));
                        anomalous.add(!type.getFileName().toString().equals("good"));
                    }
                }
            }
        }
        return in;
    }

    @Test
    void bottleAurocIsUnchangedWithAnFp16Engine() throws Exception {
        List<Boolean> labels = new ArrayList<>();
        List<ImageInput> in = allTestImages(labels);
        boolean[] positive = new boolean[labels.size()];
        for (int i = 0; i < positive.length; i++) {
            positive[i] = labels.get(i);
        }
        double[] cpu, fp16;
        try (Inspector c = Inspectors.openCpu(bundle, 4, 8)) {
            cpu = scores(c, in);
        }
        Backends.Options half = new Backends.Options(Backends.Mode.TENSORRT, tmp.resolve("engine-cache"), Precision.FP16);
        try (Inspector g = Inspectors.open(bundle, 4, 8, half)) {
            assertEquals("fused", g.route());
            fp16 = scores(g, in);
        }
        double aurocCpu = dev.kensa.eval.Metrics.auroc(cpu, positive);
        double aurocFp16 = dev.kensa.eval.Metrics.auroc(fp16, positive);
        System.out.printf("bottle AUROC on %d images: CPU %.4f, TensorRT FP16 %.4f%n", in.size(), aurocCpu, aurocFp16);
        assertEquals(aurocCpu, aurocFp16, 0.005, "FP16 must not change the ranking of good and bad bottles");
    }

    /**
     * TensorRT objects cannot be deleted from Java (javacpp-presets#1699), so each load leaves its engine (the weights,
     * about the plan's size) behind until the process ends; everything else (activations, I/O buffers, the
     * kernel's statistics) is ours and must come back.
     */
    @Test
    void openInspectCloseCyclesGiveBackAllButTheEngineWeights() throws Exception {
        List<ImageInput> in = images();
        Path cache = tmp.resolve("engine-cache-cycles");
        Backends.Options gpu = new Backends.Options(Backends.Mode.TENSORRT, cache, Precision.FP16);
        try (Inspector warm = Inspectors.open(bundle, 2, 4, gpu)) {
            scores(warm, in); // engine built and cached, CUDA context and module caches settled
        }
        long plan;
        try (var files = Files.list(cache)) {
            plan = files.mapToLong(f -> f.toFile().length()).max().orElseThrow();
        }
        int cycles = 5;
        long before = GpuProbe.memory().freeBytes();
        for (int cycle = 0; cycle < cycles; cycle++) {
            try (Inspector g = Inspectors.open(bundle, 2, 4, gpu)) {
                for (int r = 0; r < 10; r++) {
                    scores(g, in);
                }
            }
        }
        long after = GpuProbe.memory().freeBytes();
        long perCycle = (before - after) / cycles;
        System.out.printf("GPU free memory before %d MiB, after %d open/inspect/close cycles %d MiB: %.1f MiB a cycle "
                + "(engine plan %.1f MiB)%n", before >> 20, cycles, after >> 20, perCycle / 1048576.0, plan / 1048576.0);
        assertTrue(perCycle <= plan + (8L << 20), "device memory kept per load: " + (perCycle >> 20)
                + " MiB, more than the engine (" + (plan >> 20) + " MiB) + 8 MiB");
    }
}
