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
