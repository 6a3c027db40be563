package dev.kensa.http;

import dev.kensa.KensaException;
import dev.kensa.daemon.ModelService;
import dev.kensa.daemon.InspectionQueue;
import dev.kensa.pipeline.Inspection;
import dev.kensa.verdict.Verdict;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code POST /api/v1/inspect}: image bytes in, the result JSON out (DESIGN §7). The result is journalled before
 * the response is sent. An image that cannot be decoded gets an ERROR result (HTTP 422) and is journalled too, so
 * the line sees it; no model loaded, or a full inspection queue, is 503. The body size limit is
 * {@code quarkus.http.limits.max-body-size}.
 */
@Path("/api/v1/inspect")
public class InspectResource {
    @Inject
    ModelService models;

    @Inject
    InspectionQueue queue;

    @POST
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, "image/*"})
    @Produces(MediaType.APPLICATION_JSON)
    public Response inspect(byte[] body, @HeaderParam("X-Source") String source) {
        ModelService.Active active = models.active();
        if (active == null) {
            return Response.status(503).entity(java.util.Map.of("error", "no model is loaded")).build();
        }
        Inspection in;
        try {
            in = queue.inspect(source != null && !source.isBlank() ? source : "http", body == null ? new byte[0] : body, null)
                    .inspection();
        } catch (InspectionQueue.QueueFullException e) {
            return Response.status(503).header("Retry-After", "1").entity(java.util.Map.of("error", e.getMessage())).build();
        } catch (KensaException e) {
            return Response.status(503).entity(java.util.Map.of("error", e.getMessage())).build();
        } catch (Exception e) {
            return Response.status(500).entity(java.util.Map.of("error", String.valueOf(e.getMessage()))).build();
        }
        int status = in.result().verdict() == Verdict.ERROR ? 422 : 200;
        return Response.status(status).entity(in.result()).build();
    }
}
