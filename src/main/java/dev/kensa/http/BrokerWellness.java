package dev.kensa.http;

import dev.kensa.daemon.DaemonAssembly;
import dev.kensa.daemon.ResultStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * The MQTT broker connection, under {@code /q/health} and {@code /q/health/well}: DOWN while a configured broker is
 * unreachable, with the journal backlog waiting for it. Not a readiness check, because the box keeps inspecting
 * and journalling through an outage and catches up afterwards.
 */
@io.smallrye.health.api.Wellness
@ApplicationScoped
public class BrokerWellness implements HealthCheck {
    @Inject
    DaemonAssembly daemon;
    @Inject
    ResultStore results;

    @Override
    public HealthCheckResponse call() {
        var mqtt = daemon.mqtt();
        if (mqtt == null) {
            return HealthCheckResponse.named("broker").up().withData("configured", false).build();
        }
        return HealthCheckResponse.named("broker").status(mqtt.isConnected())
                .withData("url", mqtt.serverUri())
                .withData("backlog", results.journal().backlog()).build();
    }
}
