package dev.kensa.pipeline;

import dev.kensa.TestData;
import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.OnnxRuntimeBackbone;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.method.padim.MahalanobisKernel;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.method.MethodScorer;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorer;
import dev.kensa.score.MahalanobisScorers;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inspector's fused route (backbone outputs stay on the device, the scorer gathers there) with a <b>mock GPU</b>:
 * this box has none, so "device memory" is a table of host buffers under made-up addresses, the backbone is the real
 * ONNX Runtime one copying its outputs there, and the scorer is a Java transcription of the kernel contract in
 * {@code native/kensa_kernels.cu} (gather by global channel index with {@code y / (gridH / h)}, then the CPU
 * Mahalanobis). What runs for real: the route choice and its warm-up, batching, corrupt images, timings, and that
 * the host copy of the feature maps is never taken on this route. {@code GpuParityTest} is the same on a real GPU.
 */
class FusedRouteMockGpuTest {
    @TempDir
    static Path tmp;
    static ModelBundle bundle;

    @BeforeAll
    static void fit() throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train"));
        try (var s = Files.list(TestData.bottleTrain())) {
            List<Path> all = s.sorted().toList();
            for (int i = 0; i < 16; i++) {
                Files.copy(all.get(i * 12), train.resolve(all.get(i * 12).getFileName()));
            }
        }
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")), false).bundle();
    }

    static List<ImageInput> images() throws Exception {
        List<ImageInput> in = new ArrayList<>();
        for (String type : List.of("good", "broken_large")) {
            try (var s = Files.list(TestData.bottle().resolve("test").resolve(type))) {
                s.sorted().limit(3).map(ImageInput::of).forEach(in::add);
            }
        }
        in.add(2, ImageInput.of("truncated.png", new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}));
        return in;
    }

    static InspectionResult[] inspect(Inspector inspector, List<ImageInput> in) {
        InspectionResult[] out = new InspectionResult[in.size()];
        inspector.inspect(in, i -> out[i.index()] = i.result());
        return out;
    }

    /** "Device memory" of the mock GPU: host buffers by address. */
    static final class MockDevice {
        final Map<Long, FloatBuffer> memory = new HashMap<>();
        long next = 0x7f00_0000_1000L;

        long put(FloatBuffer data) {
            long address = next;
            next += 1L << 32;
            memory.put(address, data);
            return address;
        }

        FloatBuffer at(long address) {
            FloatBuffer b = memory.get(address);
            if (b == null) {
                throw new IllegalStateException("no mock device memory at 0x" + Long.toHexString(address));
            }
            return b;
        }
    }

    /** The real ONNX Runtime backbone whose outputs are copied into mock device memory, once per shape. */
    static final class MockDeviceBackbone implements DeviceBackbone {
        final OnnxRuntimeBackbone cpu = new OnnxRuntimeBackbone(bundle.backbonePath(), bundle.manifest().backbone().outputs(), 2);
        final MockDevice device;
        final Map<String, Long> addresses = new HashMap<>();
        int hostExtracts;
        int deviceExtracts;

        MockDeviceBackbone(MockDevice device) {
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
                // the scorer must read the mock device copy, never the backbone's host buffer
                for (int i = 0; i < length; i++) {
                    l.data().put(i, Float.NaN);
                }
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
            return "mock-gpu backbone over " + cpu.describe();
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    /** The kernel contract in Java: gather from the device layers, then the CPU Mahalanobis. */
    static final class MockPadimScorer implements MethodScorer {
        final PadimModel model = (PadimModel) bundle.model();
        final GaussianStats stats = model.stats();
        final int[] kept = model.channels();
        final MahalanobisScorer cpu = MahalanobisScorers.cpu(stats, 2);
        final EmbeddingExtractor hostGather = new EmbeddingExtractor(kept);
        final MockDevice device;
        final boolean fits;
        int layerCalls;
        int embeddingCalls;

        MockPadimScorer(MockDevice device, boolean fits) {
            this.device = device;
            this.fits = fits;
        }

        @Override
        public boolean onDevice() {
            return true;
        }

        @Override
        public boolean accepts(DeviceFeatureMaps maps) {
            MahalanobisKernel.layerShapes(maps.layers(), stats.gridHeight(), stats.gridWidth());
            return fits;
        }

        @Override
        public Times scoreOnDevice(DeviceFeatureMaps maps, float[] distances, double[] imageScores) {
            layerCalls++;
            int gh = stats.gridHeight(), gw = stats.gridWidth(), positions = gh * gw, d = kept.length, n = maps.batch();
            int[][] shape = MahalanobisKernel.layerShapes(maps.layers(), gh, gw);
            float[] embedding = new float[n * positions * d];
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < positions; p++) {
                    int py = p / gw, px = p % gw;
                    for (int j = 0; j < d; j++) {
                        int c = kept[j], layer = 0;
                        while (c >= shape[layer][0]) {
                            c -= shape[layer][0];
                            layer++;
                        }
                        int ch = shape[layer][0], h = shape[layer][1], w = shape[layer][2];
                        int sy = py / (gh / h), sx = px / (gw / w);
                        FloatBuffer base = device.at(maps.layers().get(layer).address());
                        embedding[(img * positions + p) * d + j] = base.get(((img * ch + c) * h + sy) * w + sx);
                    }
                }
            }
            long t0 = System.nanoTime();
            cpu.score(embedding, n, distances);
            java.util.Arrays.fill(imageScores, 0, n, Double.NaN);
            return new Times(0, (System.nanoTime() - t0) / 1e6);
        }

        @Override
        public Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
            embeddingCalls++;
            float[] embedding = hostGather.extract(maps);
            cpu.score(embedding, maps.batch(), distances);
            java.util.Arrays.fill(imageScores, 0, maps.batch(), Double.NaN);
            return new Times(0.001, 0.001);
        }

        @Override
        public String embeddingStage() {
            return "gather";
        }

        @Override
        public String distanceStage() {
            return "mahalanobis";
        }

        @Override
        public String describe() {
            return "mock-gpu scorer";
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    static Inspector mockGpuInspector(MockDeviceBackbone backbone, MockPadimScorer scorer) {
        FeatureExtractor fx = new FeatureExtractor(Inspectors.preprocessor(bundle.manifest().backbone().input(), bundle.pipeline()),
                backbone, 2);
        return new Inspector(fx, scorer, bundle.model(), bundle.pipeline(), new InspectionResult.ModelRef(bundle.id(), bundle.sha256()), 4);
    }

    @Test
    void fusedRouteOnMockGpuNeverCopiesFeatureMapsToTheHostAndMatchesTheCpuPath() throws Exception {
        List<ImageInput> in = images();
        InspectionResult[] cpu;
        try (Inspector c = Inspectors.openCpu(bundle, 2, 4)) {
            assertEquals("host", c.route());
            cpu = inspect(c, in);
        }
        MockDevice device = new MockDevice();
        MockDeviceBackbone backbone = new MockDeviceBackbone(device);
        MockPadimScorer scorer = new MockPadimScorer(device, true);
        try (Inspector g = mockGpuInspector(backbone, scorer)) {
            assertEquals("fused", g.route());
            assertTrue(g.describeBackend().endsWith("(fused gather on the device)"), g.describeBackend());
            // construction: one host warm-up (channel check) and one fused warm-up (shapes, both sides)
            assertEquals(1, backbone.hostExtracts);
            assertEquals(1, backbone.deviceExtracts);
            assertEquals(1, scorer.layerCalls);
            InspectionResult[] gpu = inspect(g, in);
            assertEquals(1, backbone.hostExtracts, "no host copy of the feature maps while inspecting");
            assertEquals(1 + 2, backbone.deviceExtracts, "6 decodable images at batch 4: two batches");
            assertEquals(1 + 2, scorer.layerCalls);
            assertEquals(0, scorer.embeddingCalls);
            for (int i = 0; i < in.size(); i++) {
                assertNotNull(gpu[i], "a result for every input");
                assertEquals(cpu[i].verdict(), gpu[i].verdict(), in.get(i).source());
                if (cpu[i].verdict() == Verdict.ERROR) {
                    assertTrue(gpu[i].error().equals(cpu[i].error()), gpu[i].error());
                    continue;
                }
                assertEquals(cpu[i].score(), gpu[i].score(), 1e-5 * cpu[i].score(), in.get(i).source());
                assertTrue(gpu[i].timingsMs().backbone() > 0 && gpu[i].timingsMs().score() > 0, gpu[i].timingsMs().toString());
            }
            assertEquals(Verdict.ERROR, gpu[2].verdict());
            assertEquals(Verdict.NG, gpu[in.size() - 1].verdict());
        }
    }

    @Test
    void layersTheKernelDoesNotTakeFallBackToTheHostGather() throws Exception {
        MockDevice device = new MockDevice();
        MockDeviceBackbone backbone = new MockDeviceBackbone(device);
        MockPadimScorer scorer = new MockPadimScorer(device, false);
        try (Inspector g = mockGpuInspector(backbone, scorer)) {
            assertEquals("host", g.route());
            List<ImageInput> in = images().subList(0, 2);
            InspectionResult[] r = inspect(g, in);
            assertTrue(r[0].verdict() != Verdict.ERROR && r[0].score() > 0, r[0].toString());
            assertEquals(1, backbone.deviceExtracts, "only the warm-up that found the misfit");
            assertEquals(0, scorer.layerCalls);
            assertEquals(1, scorer.embeddingCalls);
            assertEquals(2, backbone.hostExtracts, "warm-up, then one batch through the host gather");
        }
    }
}
