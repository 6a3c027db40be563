package dev.kensa.gpu;

import dev.kensa.TestData;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.MethodOptions;
import dev.kensa.pipeline.Inspection;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU box only: PatchCore on TensorRT (FP32) with its CUDA kernels (patch features from the device layers, nearest
 * bank row, exact distance) against the CPU path on real bottles: image scores and every anomaly-map value within
 * 1e-3 relative, on the fused route. Skips itself where {@link GpuProbe} finds no GPU ({@code ./mvnw test -Dgroups=gpu}).
 */
@Tag("gpu")
class PatchCoreGpuParityTest {
    @TempDir
    static Path tmp;
    static ModelBundle bundle;

    @BeforeAll
    static void fit() throws Exception {
        if (!GpuProbe.status().available()) {
            return;
        }
        Path train = Files.createDirectories(tmp.resolve("train"));
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 24; i++) {
                Files.copy(all.get(i * 8), train.resolve(all.get(i * 8).getFileName()));
            }
        }
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")).withMethod("patchcore")
                .withMethodOptions(MethodOptions.defaults().withCoresetRatio(0.05)), false).bundle();
    }

    @BeforeEach
    void needsAGpu() {
        GpuStatus gpu = GpuProbe.status();
        Assumptions.assumeTrue(gpu.available(), "GPU test skipped: no GPU backend on this box: " + gpu.reason());
    }

    static List<Inspection> run(Inspector inspector) throws Exception {
        List<Inspection> out = new ArrayList<>();
        inspector.inspect(GpuParityTest.images(), out::add);
        return out;
    }

    @Test
    void cudaNearestNeighbourOnTheFusedRouteMatchesTheCpuPath() throws Exception {
        Backends.Options gpu = new Backends.Options(Backends.Mode.TENSORRT, tmp.resolve("engine-cache"), Precision.FP32);
        List<Inspection> cpu, onGpu;
        try (Inspector c = Inspectors.openCpu(bundle, 2, 4)) {
            cpu = run(c);
        }
        try (Inspector g = Inspectors.open(bundle, 2, 4, gpu)) {
            assertEquals("fused", g.route(), g.describeBackend());
            assertTrue(g.describeBackend().contains("kensa_patchcore_nn"), g.describeBackend());
            onGpu = run(g);
        }
        for (int i = 0; i < cpu.size(); i++) {
            double a = cpu.get(i).result().score(), b = onGpu.get(i).result().score();
            System.out.printf("patchcore gpu parity %s: cpu %.5f gpu %.5f%n", cpu.get(i).result().source(), a, b);
            assertEquals(a, b, 1e-3 * a, cpu.get(i).result().source());
            float[] m = cpu.get(i).map().values(), n = onGpu.get(i).map().values();
            for (int p = 0; p < m.length; p += 97) {
                assertEquals(m[p], n[p], 1e-3 * Math.max(1e-3, m[p]), "map value " + p);
            }
        }
    }
}
