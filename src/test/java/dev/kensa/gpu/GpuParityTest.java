package dev.kensa.gpu;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
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
 * GPU box only: TensorRT (FP32) + CUDA scorer against the CPU path on real bottles, image scores within 1e-3
 * relative; and the engine cache reused on the second open. Skips itself where {@link GpuProbe} finds no GPU.
 */
@Tag("gpu")
class GpuParityTest {
    @TempDir
    static Path tmp;
    static ModelBundle bundle;

    @BeforeAll
    static void fit() throws Exception {
        GpuStatus gpu = GpuProbe.status();
        Assumptions.assumeTrue(gpu.available(), "no GPU backend on this box: " + gpu.reason());
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
        try (Inspector c = Inspector.openCpu(bundle, 2, 4)) {
            cpu = scores(c, in);
        }
        try (Inspector g = Inspector.open(bundle, 2, 4, gpu)) {
            assertTrue(g.describeBackend().startsWith("tensorrt "), g.describeBackend());
            assertTrue(g.describeBackend().contains(GpuProbe.status().name()), g.describeBackend());
            onGpu = scores(g, in);
        }
        for (int i = 0; i < cpu.length; i++) {
            assertEquals(cpu[i], onGpu[i], 1e-3 * Math.abs(cpu[i]), "image " + in.get(i).source());
        }
        try (Inspector again = Inspector.open(bundle, 2, 4, gpu)) {
            assertTrue(again.describeBackend().contains("cached engine"), "second open reuses the engine: " + again.describeBackend());
        }
        try (var files = Files.list(tmp.resolve("engine-cache"))) {
            assertFalse(files.toList().isEmpty());
        }
    }
}
