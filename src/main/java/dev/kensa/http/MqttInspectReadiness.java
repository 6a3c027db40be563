package dev.kensa.http;

import dev.kensa.daemon.DaemonState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The MQTT inspect source's worker (readiness check {@code mqttInspect}): DOWN while it is dead and waiting to be
 * restarted. A broker outage alone is not DOWN here (the worker keeps reconnecting; {@code subscribed} says it, and
 * the {@code broker} wellness check covers the broker), like the publisher. UP when the source is not configured.
 */
@Readiness
@ApplicationScoped
public class MqttInspectReadiness implements HealthCheck {
    @Inject
    DaemonState daemon;

    @Override
    public HealthCheckResponse call() {
        var in = daemon.inspectSource();
        if (in == null) {
            return HealthCheckResponse.named("mqttInspect").up().withData("configured", false).build();
        }
        return HotFolderReadiness.check("mqttInspect", in.status()).withData("subscribed", in.isSubscribed())
                .withData("handled", in.handled()).build();
    }
}
