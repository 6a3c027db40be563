package dev.kensa.http;

import dev.kensa.daemon.ModelService;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.model.ModelManager;
import io.smallrye.health.api.HealthRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The GPU readiness check, on a box whose model runs on one (../shared/DESIGN.md §7 "GPU (where present)"): down when the driver
 * no longer answers for it (fallen off the bus, a broken context after an Xid error), with the CUDA error; its name
 * and free memory otherwise. A box on the CPU backend has no gpu check at all (an always-UP "gpu" on a box without
 * one read as a fault): it joins readiness when {@code kensa serve} starts a model on the GPU, and stays for the
 * process (a later model that fell back to the CPU shows {@code inUse: false}).
 */
@ApplicationScoped
public class GpuReadiness implements HealthCheck {
    @Inject
    ModelService models;

    @Inject
    @Readiness
    HealthRegistry readiness;

    private final AtomicBoolean registered = new AtomicBoolean();

    void onModelStarted(@Observes ModelService.Started started) {
        if (started.model() != null && started.model().inspector().usesGpu() && registered.compareAndSet(false, true)) {
            readiness.register("gpu", this);
        }
    }

    /** Whether the check is part of readiness in this process. */
    public boolean registered() {
        return registered.get();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("gpu");
        ModelManager.Loaded active = models.active();
        if (active == null || !active.inspector().usesGpu()) {
            r.up().withData("inUse", false);
            if (active != null) {
                r.withData("backend", active.backend());
            }
            return r.build();
        }
        r.withData("inUse", true).withData("gpu", GpuProbe.status().describe()).withData("route", active.inspector().route());
        try {
            GpuProbe.Memory m = GpuProbe.memory();
            return r.up().withData("freeBytes", m.freeBytes()).withData("totalBytes", m.totalBytes()).build();
        } catch (RuntimeException | LinkageError e) {
            return r.down().withData("reason", String.valueOf(e.getMessage())).build();
        }
    }
}
