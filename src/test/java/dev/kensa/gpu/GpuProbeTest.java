package dev.kensa.gpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a box without a GPU (this one, CI) the probe says so, with the first reason, and never throws. */
class GpuProbeTest {

    @Test
    void probeReportsUnavailableWithTheMissingLibraryTwiceWithoutThrowing() {
        GpuStatus first = GpuProbe.status();
        if (first.available()) {
            return; // a GPU box: GpuParityTest covers it
        }
        System.out.println("GPU probe on this box: " + first.describe());
        GpuStatus second = GpuProbe.status();
        assertSame(first, second, "probed once per process");
        assertFalse(second.available());
        assertNotNull(first.reason());
        // the first failure names the library that did not load (JNI binding or libcuda), not "Could not initialize class"
        assertTrue(first.reason().matches("(?s).*(lib|jni|\\.so|cuda|CUDA).*"), first.reason());
        assertFalse(first.reason().contains("Could not initialize class"), first.reason());
        assertTrue(first.describe().startsWith("unavailable: "), first.describe());
        // said in words where people look; the loader's message only as the detail
        assertFalse(first.describe().contains("Error"), first.describe());
        assertFalse(GpuProbe.summary().contains("Error") || GpuProbe.summary().contains(".so"), GpuProbe.summary());
        assertTrue(GpuProbe.summary().endsWith("(CPU backend)"), GpuProbe.summary());
        assertEquals(first.reason(), GpuProbe.detail());
    }

    @Test
    void aBoxWithoutAGpuSaysNoGpuInWordsAndOtherGapsSayWhatIsMissing() {
        assertEquals("no GPU", GpuStatus.unavailable(GpuProbe.withHint(
                "UnsatisfiedLinkError: /c/libjnicudart.so: libcuda.so.1: cannot open shared object file")).words());
        assertEquals("unavailable: no GPU", GpuStatus.unavailable("no CUDA GPU found (driver 13000)").describe());
        assertEquals("GPU unused: TensorRT 10 is not installed", GpuStatus.unavailable(GpuProbe.withHint(
                "TensorRT libraries do not load on NVIDIA A2: UnsatisfiedLinkError: libnvinfer.so.10: cannot open")).words());
        assertEquals("GPU unused: the CUDA 13 runtime is not installed",
                GpuStatus.unavailable("UnsatisfiedLinkError: libcudart.so.13: cannot open shared object file").words());
        assertEquals("GPU unused: Quadro P400 has compute capability 6.1, TensorRT needs 7.5 or newer",
                GpuStatus.unavailable("Quadro P400 has compute capability 6.1, TensorRT needs 7.5 or newer").words());
        assertEquals("GPU unused: TensorRT libraries do not load on Orin",
                GpuStatus.unavailable("TensorRT libraries do not load on Orin: SomeError: x").words());
        assertEquals("GPU unused: the GPU libraries do not load", GpuStatus.unavailable("NoSuchMethodError: cuInit").words());
    }

    @Test
    void reasonIsOneLineFromTheInnermostCause() {
        Throwable t = new NoClassDefFoundError("outer");
        t.initCause(new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file\nmore"));
        assertEquals("UnsatisfiedLinkError: libcuda.so.1: cannot open shared object file", GpuProbe.reasonOf(t));
        assertEquals("java.lang.LinkageError", GpuProbe.reasonOf(new LinkageError()));
    }

    @Test
    void hintSaysWhatIsMissingOnTheBox() {
        assertTrue(GpuProbe.withHint("UnsatisfiedLinkError: /c/libjnicudart.so: libcuda.so.1: cannot open shared object file")
                .endsWith("(no NVIDIA driver on this box)"));
        assertTrue(GpuProbe.withHint("UnsatisfiedLinkError: libcudart.so.13: cannot open shared object file")
                .contains("CUDA 13 runtime is not installed"));
        assertTrue(GpuProbe.withHint("UnsatisfiedLinkError: libnvinfer.so.10: cannot open shared object file")
                .contains("TensorRT 10 is not installed"));
        assertTrue(GpuProbe.withHint("UnsatisfiedLinkError: no jnicudart in java.library.path").contains("no GPU bindings"));
        assertEquals("CUDA driver did not initialise", GpuProbe.withHint("CUDA driver did not initialise"));
    }
}
