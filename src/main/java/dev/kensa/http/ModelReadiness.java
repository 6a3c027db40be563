package dev.kensa.http;

import dev.kensa.daemon.ModelService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only with a loaded, self-tested model (../shared/DESIGN.md §7). */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {
    @Inject
    ModelService models;

    @Override
    public HealthCheckResponse call() {
        dev.kensa.model.ModelManager.Loaded a = models.active();
        if (a == null) {
            String why = models.notReady();
            return HealthCheckResponse.named("model").down().withData("reason", why != null ? why : "no model loaded").build();
        }
        return HealthCheckResponse.named("model").status(a.selfTest().passed())
                .withData("id", a.bundle().id())
                .withData("sha256", a.bundle().sha256())
                .withData("backend", a.backend())
                .build();
    }
}
