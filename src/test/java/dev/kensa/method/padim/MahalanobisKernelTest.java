package dev.kensa.method.padim;

import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.score.GaussianStats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launch rules against the worked examples of the kernel's contract (native/README.md). */
class MahalanobisKernelTest {

    @Test
    void sharedMemoryMatchesTheContractExamples() {
        assertEquals(432, MahalanobisKernel.sharedBytes(100, 1));
        assertEquals(3456, MahalanobisKernel.sharedBytes(100, 8));
        assertEquals(13824, MahalanobisKernel.sharedBytes(100, 32));
        assertEquals(27648, MahalanobisKernel.sharedBytes(100, 64));
        assertEquals(34816, MahalanobisKernel.sharedBytes(128, 64));
        assertEquals(4, MahalanobisKernel.slots(3));
        assertEquals(64, MahalanobisKernel.slots(33));
    }

    @Test
    void tileIsTheBatchUnlessSharedMemoryRunsOut() {
        assertEquals(8, MahalanobisKernel.tile(8, 100));
        assertEquals(64, MahalanobisKernel.tile(64, 128));
        assertEquals(64, MahalanobisKernel.tile(200, 100));
        assertEquals(16, MahalanobisKernel.tile(64, 448));
        assertEquals(29184, MahalanobisKernel.sharedBytes(448, 16));
        assertArrayEquals(new int[]{3136, 4, 1}, MahalanobisKernel.grid(64, 3136, 16));
        assertArrayEquals(new int[]{3136, 1, 1}, MahalanobisKernel.grid(8, 3136, 8));
    }

    @Test
    void parameterListHasTheContractsShape() {
        assertEquals(21, MahalanobisKernel.PARAMETERS.length);
        long pointers = java.util.Arrays.stream(MahalanobisKernel.PARAMETERS).filter(p -> p.pointer).count();
        assertEquals(7, pointers);
        assertEquals("kensa_mahalanobis_f16", MahalanobisKernel.name(GaussianStats.Dtype.FLOAT16));
        assertEquals("kensa_mahalanobis_f32", MahalanobisKernel.name(GaussianStats.Dtype.FLOAT32));
    }

    static DeviceFeatureMaps.Layer layer(String name, int c, int h, int w) {
        return new DeviceFeatureMaps.Layer(name, c, h, w, 0x1000L * c);
    }

    @Test
    void layerShapesAreResNetLayersOnTheirGridOrARefusalSayingWhy() {
        List<DeviceFeatureMaps.Layer> resnet = List.of(layer("layer1", 64, 56, 56), layer("layer2", 128, 28, 28),
                layer("layer3", 256, 14, 14));
        int[][] shapes = MahalanobisKernel.layerShapes(resnet, 56, 56);
        assertArrayEquals(new int[]{64, 56, 56}, shapes[0]);
        assertArrayEquals(new int[]{128, 28, 28}, shapes[1]);
        assertArrayEquals(new int[]{256, 14, 14}, shapes[2]);
        // fewer layers (e.g. layer1+layer2) fill the unused slots with zero channels, which the kernel never reads
        int[][] two = MahalanobisKernel.layerShapes(resnet.subList(0, 2), 56, 56);
        assertArrayEquals(new int[]{0, 56, 56}, two[2]);
        List<DeviceFeatureMaps.Layer> four = List.of(resnet.get(0), resnet.get(1), resnet.get(2), layer("layer4", 512, 7, 7));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MahalanobisKernel.layerShapes(four, 56, 56)).getMessage().contains("1 to 3 layers"));
        List<DeviceFeatureMaps.Layer> odd = List.of(resnet.get(0), layer("layer2", 128, 27, 27), resnet.get(2));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MahalanobisKernel.layerShapes(odd, 56, 56)).getMessage().contains("does not divide"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MahalanobisKernel.layerShapes(resnet, 112, 112)).getMessage().contains("is not the patch grid"));
        List<DeviceFeatureMaps.Layer> unallocated = List.of(resnet.get(0), resnet.get(1),
                new DeviceFeatureMaps.Layer("layer3", 256, 14, 14, 0));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MahalanobisKernel.layerShapes(unallocated, 56, 56)).getMessage().contains("no device memory"));
    }

    @Test
    void theKernelBuiltByNvccShipsOnTheClasspath() throws Exception {
        java.nio.file.Path built = java.nio.file.Path.of(dev.kensa.gpu.CudaModule.BUILD_DIR, MahalanobisKernel.IMAGE);
        String resource = dev.kensa.gpu.CudaModule.RESOURCE_DIR + MahalanobisKernel.IMAGE;
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(built),
                "no " + built + ": nvcc did not run (bash native/build.sh)");
        byte[] image;
        try (var in = MahalanobisKernel.class.getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " missing from the classpath");
            image = in.readAllBytes();
        }
        assertArrayEquals(java.nio.file.Files.readAllBytes(built), image);
        // fatbin magic 0xBA55ED50, little-endian
        assertArrayEquals(new byte[]{0x50, (byte) 0xED, 0x55, (byte) 0xBA}, java.util.Arrays.copyOf(image, 4));
        assertArrayEquals(image, PadimCudaScorer.loadKernelImage());
    }
}
