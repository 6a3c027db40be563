package dev.kensa.http;

import dev.kensa.daemon.Status;
import dev.kensa.daemon.StatusService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/v1/status}: one JSON for a field check (../shared/DESIGN.md §7); built by {@link StatusService}. */
@Path("/api/v1/status")
public class StatusResource {
    @Inject
    StatusService status;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Status status() {
        return status.snapshot();
    }
}
