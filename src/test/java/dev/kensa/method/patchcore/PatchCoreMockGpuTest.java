package dev.kensa.method.patchcore;

import dev.kensa.TestData;
import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.MethodScorer;
import dev.kensa.pipeline.FeatureExtractor;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.Verdict;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PatchCore's fused route with a <b>mock GPU</b>: this box has none, so "device memory" is a table of host buffers
 * under made-up addresses, the backbone is the real ONNX Runtime one copying its layers there, and the scorer is a
 * Java transcription of the three kernels' contract in {@code native/patchcore_kernels.cu} (the embed kernel's
 * per-value pooling and bilinear formula, the GEMM-form argmin with ties to the lower row, the exact distance), with
 * the host-side image score of {@link PatchCoreCudaScorer}. It checks that the contract computes what the CPU path
 * computes and that the inspector takes the device route; {@code PatchCoreGpuParityTest} is the same on a real GPU.
 */
class PatchCoreMockGpuTest {
    @TempDir
    static Path tmp;
    static ModelBundle bundle;

    @BeforeAll
    static void fit() throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train"));
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 10; i++) {
                Files.copy(all.get(i * 20), train.resolve(all.get(i * 20).getFileName()));
            }
        }
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")).withMethod("patchcore")
                .withMethodOptions(MethodOptions.defaults().withCoresetRatio(0.05)), false).bundle();
    }

    @Test
    void launchConfigurationFollowsTheContract() {
        assertArrayEquals(new int[]{(8 * 784 * 384 + 255) / 256, 1, 1}, PatchCoreKernel.embedGrid(8, 784, 384));
        assertArrayEquals(new int[]{98, 1, 1}, PatchCoreKernel.nnGrid(8 * 784));
        assertArrayEquals(new int[]{784, 1, 1}, PatchCoreKernel.exactGrid(8 * 784));
        List<DeviceFeatureMaps.Layer> layers = List.of(new DeviceFeatureMaps.Layer("layer2", 128, 28, 28, 0x1000),
                new DeviceFeatureMaps.Layer("layer3", 256, 14, 14, 0x2000));
        int[][] s = PatchCoreKernel.layerShapes(layers, 28, 28, 384);
        assertArrayEquals(new int[]{0, 28, 28}, s[2]);
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PatchCoreKernel.layerShapes(layers, 28, 28, 448)).getMessage().contains("384 channels"));
    }

    static final class MockDevice {
        final Map<Long, FloatBuffer> memory = new HashMap<>();
        long next = 0x7f00_0000_1000L;

        long put(FloatBuffer data) {
            long address = next;
            next += 1L << 32;
            memory.put(address, data);
            return address;
        }
    }

    static final class MockBackbone implements DeviceBackbone {
        final OnnxRuntimeBackbone cpu = new OnnxRuntimeBackbone(bundle.backbonePath(), bundle.model().layers(), 2);
        final MockDevice device;
        int hostExtracts;
        int deviceExtracts;

        MockBackbone(MockDevice device) {
            this.device = device;
        }

        @Override
        public FeatureMaps extract(float[] input, int batch) {
            hostExtracts++;
            return cpu.extract(input, batch);
        }

        @Override
        public DeviceFeatureMaps extractOnDevice(float[] input, int batch) {
            deviceExtracts++;
            FeatureMaps maps = cpu.extract(input, batch);
            List<DeviceFeatureMaps.Layer> layers = new ArrayList<>();
            for (FeatureMaps.Layer l : maps.layers()) {
                int length = batch * l.imageStride();
                FloatBuffer copy = ByteBuffer.allocateDirect(4 * length).order(ByteOrder.nativeOrder()).asFloatBuffer();
                copy.put(l.data().duplicate().position(0).limit(length));
                layers.add(new DeviceFeatureMaps.Layer(l.name(), l.channels(), l.height(), l.width(), device.put(copy)));
            }
            return new DeviceFeatureMaps(batch, layers);
        }

        @Override
        public int inputSize() {
            return cpu.inputSize();
        }

        @Override
        public String describe() {
            return "mock-gpu backbone";
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    /** The three kernels of the contract, in Java, reading the mock device memory. */
    static final class MockPatchCoreKernels implements MethodScorer {
        final PatchCoreModel model = (PatchCoreModel) bundle.model();
        final MockDevice device;
        int deviceCalls;

        MockPatchCoreKernels(MockDevice device) {
            this.device = device;
        }

        static float pooled(FloatBuffer plane, int base, int h, int w, int y, int x, int pool) {
            int r = pool / 2;
            float s = 0;
            for (int yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
                for (int xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
                    s += plane.get(base + yy * w + xx);
                }
            }
            return s / (pool * pool);
        }

        @Override
        public boolean onDevice() {
            return true;
        }

        @Override
        public boolean accepts(DeviceFeatureMaps maps) {
            PatchCoreKernel.layerShapes(maps.layers(), model.grid().height(), model.grid().width(), model.bank().dims());
            return true;
        }

        @Override
        public Times scoreOnDevice(DeviceFeatureMaps maps, float[] distances, double[] imageScores) {
            deviceCalls++;
            int gh = model.grid().height(), gw = model.grid().width(), P = gh * gw, D = model.bank().dims(), n = maps.batch();
            int[][] s = PatchCoreKernel.layerShapes(maps.layers(), gh, gw, D);
            // kensa_patchcore_embed: one value per (n, p, c)
            float[] out = new float[n * P * D];
            for (int e = 0; e < out.length; e++) {
                int c = e % D, p = (e / D) % P, img = e / D / P;
                int layer = c < s[0][0] ? 0 : c < s[0][0] + s[1][0] ? 1 : 2;
                int ch = c - (layer > 0 ? s[0][0] : 0) - (layer > 1 ? s[1][0] : 0);
                int C = s[layer][0], h = s[layer][1], w = s[layer][2];
                FloatBuffer plane = device.memory.get(maps.layers().get(layer).address());
                int base = (img * C + ch) * h * w;
                int y = p / gw, x = p % gw;
                if (h == gh && w == gw) {
                    out[e] = pooled(plane, base, h, w, y, x, model.pool());
                } else {
                    float fy = Math.max(0f, (y + 0.5f) * ((float) h / gh) - 0.5f);
                    float fx = Math.max(0f, (x + 0.5f) * ((float) w / gw) - 0.5f);
                    int y0 = (int) fy, x0 = (int) fx, y1 = Math.min(y0 + 1, h - 1), x1 = Math.min(x0 + 1, w - 1);
                    float ly = fy - y0, lx = fx - x0;
                    float top = pooled(plane, base, h, w, y0, x0, model.pool()) * (1 - lx) + pooled(plane, base, h, w, y0, x1, model.pool()) * lx;
                    float bottom = pooled(plane, base, h, w, y1, x0, model.pool()) * (1 - lx) + pooled(plane, base, h, w, y1, x1, model.pool()) * lx;
                    out[e] = top * (1 - ly) + bottom * ly;
                }
            }
            // kensa_patchcore_nn + kensa_patchcore_exact
            float[] bank = model.bank().values();
            int M = model.bank().rows();
            int[] nearest = new int[n * P];
            for (int q = 0; q < n * P; q++) {
                float best = Float.POSITIVE_INFINITY;
                int arg = 0;
                for (int b = 0; b < M; b++) {
                    float dot = 0, norm = 0;
                    for (int k = 0; k < D; k++) {
                        dot += out[q * D + k] * bank[b * D + k];
                        norm += bank[b * D + k] * bank[b * D + k];
                    }
                    float cand = norm - 2 * dot;
                    if (cand < best) {
                        best = cand;
                        arg = b;
                    }
                }
                nearest[q] = arg;
                float sum = 0;
                for (int k = 0; k < D; k++) {
                    float d = out[q * D + k] - bank[arg * D + k];
                    sum += d * d;
                }
                distances[q] = (float) Math.sqrt(sum);
            }
            for (int k = 0; k < n; k++) {
                imageScores[k] = PatchCoreScoring.imageScore(out, k * P * D, distances, nearest, k * P, P, bank, M, D,
                        model.neighbours(), 0, 0);
            }
            return new Times(0.001, 0.001);
        }

        @Override
        public Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
            throw new AssertionError("the fused route never scores host copies");
        }

        @Override
        public String embeddingStage() {
            return "embedding";
        }

        @Override
        public String distanceStage() {
            return "nearest-neighbour";
        }

        @Override
        public String describe() {
            return "mock-gpu patchcore kernels";
        }
    }

    @Test
    void kernelContractOnTheFusedRouteComputesWhatTheCpuPathComputes() throws Exception {
        List<ImageInput> in = new ArrayList<>();
        for (String type : List.of("good", "broken_large")) {
            try (var s = Files.list(TestData.bottle().resolve("test").resolve(type))) {
                s.sorted().limit(2).map(ImageInput::of).forEach(in::add);
            }
        }
        List<Inspection> cpu = new ArrayList<>();
        try (Inspector c = Inspectors.openCpu(bundle, 2, 4)) {
            c.inspect(in, cpu::add);
        }
        MockDevice device = new MockDevice();
        MockBackbone backbone = new MockBackbone(device);
        MockPatchCoreKernels kernels = new MockPatchCoreKernels(device);
        FeatureExtractor fx = new FeatureExtractor(Inspectors.preprocessor(bundle.manifest().backbone().input(), bundle.pipeline()),
                backbone, 2);
        List<Inspection> gpu = new ArrayList<>();
        try (Inspector g = new Inspector(fx, kernels, bundle.model(), bundle.pipeline(),
                new InspectionResult.ModelRef(bundle.id(), bundle.sha256()), 4)) {
            assertEquals("fused", g.route());
            g.inspect(in, gpu::add);
        }
        assertEquals(1, backbone.hostExtracts, "only the warm-up copies layers to the host");
        assertEquals(1 + 1, backbone.deviceExtracts, "warm-up, then one batch of 4");
        assertEquals(2, kernels.deviceCalls);
        for (int i = 0; i < in.size(); i++) {
            double a = cpu.get(i).result().score(), b = gpu.get(i).result().score();
            assertEquals(a, b, 1e-4 * a, in.get(i).source());
            float[] m = cpu.get(i).map().values(), n = gpu.get(i).map().values();
            for (int p = 0; p < m.length; p += 31) {
                assertEquals(m[p], n[p], 1e-4 * Math.max(1, m[p]), "map value " + p);
            }
        }
        assertEquals(Verdict.NG, gpu.get(3).result().verdict());
    }
}
