package dev.kensa.http;

import dev.kensa.daemon.ModelService;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.model.ModelManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The GPU, where the active model runs on one (DESIGN §7): down when the driver no longer answers for it (fallen
 * off the bus, a broken context after an Xid error), with the CUDA error; its name and free memory otherwise. A
 * model on the CPU backend does not depend on a GPU, so the check is up and says so (and why, when auto found none).
 */
@Readiness
@ApplicationScoped
public class GpuReadiness implements HealthCheck {
    @Inject
    ModelService models;

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
