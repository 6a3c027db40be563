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
 * the line sees it; no model loaded, or a full inspection queue, is 503. An image over {@code kensa.api.max-image-bytes}
 * is 413 (the server-wide {@code quarkus.http.limits.max-body-size} is as large as a model bundle).
 */
@Path("/api/v1/inspect")
public class InspectResource {
    @Inject
    ModelService models;

    @Inject
    InspectionQueue queue;

    @Inject
    dev.kensa.KensaConfig config;

    @POST
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, "image/*"})
    @Produces(MediaType.APPLICATION_JSON)
    public Response inspect(java.io.InputStream in, @HeaderParam("X-Source") String source) {
        if (models.active() == null) {
            return Response.status(503).entity(java.util.Map.of("error", "no model is loaded")).build();
        }
        long max = config.api().maxImageBytes();
        byte[] body;
        try {
            body = in == null ? new byte[0] : in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (java.io.IOException e) {
            return Response.status(400).entity(java.util.Map.of("error", "cannot read the image: " + e.getMessage())).build();
        }
        if (body.length > max) {
            return Response.status(413).entity(java.util.Map.of("error", "image larger than " + max
                    + " bytes (kensa.api.max-image-bytes)")).build();
        }
        Inspection inspection;
        try {
            inspection = queue.inspect(source != null && !source.isBlank() ? source : "http", body, null)
                    .inspection();
        } catch (InspectionQueue.QueueFullException e) {
            return Response.status(503).header("Retry-After", "1").entity(java.util.Map.of("error", e.getMessage())).build();
        } catch (KensaException e) {
            return Response.status(503).entity(java.util.Map.of("error", e.getMessage())).build();
        } catch (Exception e) {
            return Response.status(500).entity(java.util.Map.of("error", String.valueOf(e.getMessage()))).build();
        }
        int status = inspection.result().verdict() == Verdict.ERROR ? 422 : 200;
        return Response.status(status).entity(inspection.result()).build();
    }
}
