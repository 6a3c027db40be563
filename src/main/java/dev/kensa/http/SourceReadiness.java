package dev.kensa.http;

import dev.kensa.daemon.DaemonAssembly;
import dev.kensa.source.Source;
import dev.kensa.source.SourceWorker;
import io.smallrye.health.api.HealthRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * One readiness check per configured image source, named by its id ({@code hotFolder}, {@code mqttInspect}, later
 * {@code camera-<id>}), joining readiness when the daemon starts the source; a source that is not configured has no
 * check. DOWN while the source's worker is dead and waiting to be restarted, with the reason, so a line fed through
 * that source never stops inspecting with every light green. A broker outage alone is not DOWN for the MQTT source
 * (its connection keeps reconnecting; {@code subscribed} says it, and the {@code broker} wellness check covers the
 * broker).
 */
@ApplicationScoped
public class SourceReadiness {
    @Inject
    @Readiness
    HealthRegistry readiness;

    void onSourceStarted(@Observes DaemonAssembly.SourceStarted started) {
        Source s = started.source();
        readiness.register(s.id(), () -> check(s));
    }

    /** UP or DOWN from the source's worker, with its words and failures, then the source's own data. */
    static HealthCheckResponse check(Source source) {
        SourceWorker.Status s = source.status().worker();
        HealthCheckResponseBuilder b = HealthCheckResponse.named(source.id()).status(s.up()).withData("state", s.state())
                .withData("restarts", s.restarts());
        if (!s.up()) {
            b.withData("reason", s.words());
        }
        if (s.lastFailure() != null) {
            b.withData("lastFailure", s.lastFailure()).withData("lastFailureAt", s.lastFailureAt());
        }
        source.readinessData().forEach((k, v) -> {
            if (v instanceof Boolean x) {
                b.withData(k, x);
            } else if (v instanceof Number n) {
                b.withData(k, n.longValue());
            } else {
                b.withData(k, String.valueOf(v));
            }
        });
        return b.build();
    }
}
