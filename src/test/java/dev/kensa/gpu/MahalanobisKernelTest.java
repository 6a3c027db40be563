package dev.kensa.gpu;

import dev.kensa.score.GaussianStats;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
