package dev.kensa.http;

import dev.kensa.KensaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ready only while the journal's disk has room: a result that cannot be journalled cannot be answered, so a full
 * disk must take the box out of service before it starts refusing parts.
 */
@Readiness
@ApplicationScoped
public class DiskSpaceReadiness implements HealthCheck {
    @Inject
    KensaConfig config;

    @Override
    public HealthCheckResponse call() {
        Path dir = config.journal().dir().toAbsolutePath();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            FileStore store = Files.getFileStore(existing);
            long free = store.getUsableSpace();
            long min = config.journal().minFreeBytes();
            return HealthCheckResponse.named("disk").status(free >= min)
                    .withData("path", dir.toString()).withData("freeBytes", free).withData("minFreeBytes", min).build();
        } catch (IOException | NullPointerException e) {
            return HealthCheckResponse.named("disk").down().withData("path", dir.toString())
                    .withData("reason", String.valueOf(e.getMessage())).build();
        }
    }
}
