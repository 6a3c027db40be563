package dev.kensa.http;

import dev.kensa.daemon.DaemonState;
import dev.kensa.source.SourceWorker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The hot folder's worker (readiness check {@code hotFolder}): DOWN while it is dead and waiting to be restarted, with
 * the reason, so a line fed through a folder never stops inspecting with every light green. UP when no hot folder
 * is configured.
 */
@Readiness
@ApplicationScoped
public class HotFolderReadiness implements HealthCheck {
    @Inject
    DaemonState daemon;

    @Override
    public HealthCheckResponse call() {
        var h = daemon.hotFolder();
        if (h == null) {
            return HealthCheckResponse.named("hotFolder").up().withData("configured", false).build();
        }
        return check("hotFolder", h.status()).withData("dir", h.dir().toString()).withData("processed", h.processed())
                .build();
    }

    /** UP or DOWN from a source worker's status, with its words and failures as data. */
    static HealthCheckResponseBuilder check(String name, SourceWorker.Status s) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name).status(s.up()).withData("state", s.state())
                .withData("restarts", s.restarts());
        if (!s.up()) {
            b.withData("reason", s.words());
        }
        if (s.lastFailure() != null) {
            b.withData("lastFailure", s.lastFailure()).withData("lastFailureAt", s.lastFailureAt());
        }
        return b;
    }
}
