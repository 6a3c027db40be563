package dev.kensa.gpu;

import dev.kensa.KensaException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    static final GpuStatus GPU = new GpuStatus(true, "ok", "NVIDIA RTX A2000", 86, 6L << 30, 13000, "10.15.1");
    static final GpuStatus NONE = GpuStatus.unavailable("UnsatisfiedLinkError: libcuda.so.1: cannot open shared object file");

    @Test
    void ruleForEveryModeAndGpuState() {
        assertFalse(Backends.decide(Backends.Mode.CPU, GPU).gpu(), "cpu means cpu even with a GPU");
        assertTrue(Backends.decide(Backends.Mode.AUTO, GPU).gpu());
        assertTrue(Backends.decide(Backends.Mode.AUTO, GPU).reason().contains("NVIDIA RTX A2000 (sm_86, 6.0 GiB)"));
        assertTrue(Backends.decide(Backends.Mode.TENSORRT, GPU).gpu());
        Backends.Decision fallback = Backends.decide(Backends.Mode.AUTO, NONE);
        assertFalse(fallback.gpu());
        assertTrue(fallback.reason().contains("libcuda.so.1"), fallback.reason());
        KensaException e = assertThrows(KensaException.class, () -> Backends.decide(Backends.Mode.TENSORRT, NONE));
        assertTrue(e.getMessage().contains("TensorRT/CUDA is not available") && e.getMessage().contains("libcuda.so.1"),
                e.getMessage());
    }

    @Test
    void modesParse() {
        assertEquals(Backends.Mode.TENSORRT, Backends.Mode.parse(" TensorRT "));
        assertEquals(Backends.Mode.AUTO, Backends.Options.defaults().mode());
        // the one default is KensaConfig's (kensa.cache-dir = ${kensa.state-dir}/engine-cache); the library's agrees
        dev.kensa.KensaConfig config = new io.smallrye.config.SmallRyeConfigBuilder().addDefaultInterceptors()
                .withMapping(dev.kensa.KensaConfig.class).build().getConfigMapping(dev.kensa.KensaConfig.class);
        assertEquals(config.cacheDir(), Backends.Options.defaults().cacheDir());
        assertEquals(config.backend(), Backends.Options.defaults().mode());
        KensaException e = assertThrows(KensaException.class, () -> Backends.Mode.parse("cuda"));
        assertTrue(e.getMessage().contains("auto, tensorrt or cpu"), e.getMessage());
        assertEquals(Precision.FP32, Precision.parse("fp32"));
    }

    @Test
    void onThisBoxAutoAndCpuChooseCpuAndTensorRtFailsFastWithTheReason() {
        if (GpuProbe.status().available()) {
            return; // GPU boxes: GpuParityTest
        }
        assertFalse(Backends.choose(Backends.Mode.CPU).gpu());
        int before = Backends.fallbackLines();
        Backends.Decision auto = Backends.choose(Backends.Mode.AUTO);
        Backends.choose(Backends.Mode.AUTO);
        assertFalse(auto.gpu());
        assertTrue(auto.reason().contains(GpuProbe.status().reason()), auto.reason());
        assertTrue(Backends.fallbackLines() - before <= 1, "the fallback is logged once, not at every load");
        assertTrue(Backends.fallbackLines() >= 1);
        KensaException e = assertThrows(KensaException.class, () -> Backends.choose(Backends.Mode.TENSORRT));
        assertTrue(e.getMessage().contains("TensorRT/CUDA is not available: " + GpuProbe.status().reason()), e.getMessage());
    }
}
