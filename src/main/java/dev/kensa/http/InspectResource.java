package dev.kensa.http;

import dev.kensa.KensaException;
import dev.kensa.daemon.DecodeBudget;
import dev.kensa.daemon.InspectionQueue;
import dev.kensa.daemon.ModelService;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import dev.kensa.source.PartId;
import dev.kensa.verdict.Verdict;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/inspect}: an image in, the result JSON out (DESIGN §7). The body is the image, whatever
 * Content-Type says ({@code image/*}, {@code application/octet-stream}, none, or the
 * {@code application/x-www-form-urlencoded} that {@code curl --data-binary @part.png} sends), or a
 * {@code multipart/form-data} upload with one file (and optionally a {@code partId} field), as browsers and PLC
 * gateways send.
 *
 * <p>The part's identity: header {@code X-Part-Id} or query parameter {@code partId} (result {@code partId});
 * {@code X-Source} names the sender (result {@code source}, default {@code http}).
 *
 * <p>The result is journalled before the response is sent. An image that cannot be decoded gets an ERROR result
 * (422); one over {@code kensa.api.max-image-bytes} is refused from its Content-Length, unread, and also gets a
 * journalled ERROR result (413). No model loaded is 503; a full inspection queue or spent image memory budget
 * ({@code kensa.image.decode-budget-bytes}) is 503 with {@code Retry-After}.
 */
@Path("/api/v1/inspect")
public class InspectResource {
    /** What this endpoint takes, for error messages (also used for its 415). */
    static final String ACCEPTS = "the image as the body (Content-Type image/*, application/octet-stream or none), "
            + "or multipart/form-data with one file";
    /** Room for the multipart boundaries, part headers and fields above the image itself. */
    static final int MULTIPART_MARGIN = 64 * 1024;

    @Inject
    ModelService models;

    @Inject
    InspectionQueue queue;

    @Inject
    dev.kensa.KensaConfig config;

    @POST
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, "image/*", MediaType.APPLICATION_FORM_URLENCODED})
    @Produces(MediaType.APPLICATION_JSON)
    public Response inspect(InputStream in, @Context HttpHeaders headers, @QueryParam("partId") String partId) {
        return handle(in, headers, partId, false);
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    public Response inspectUpload(InputStream in, @Context HttpHeaders headers, @QueryParam("partId") String partId) {
        return handle(in, headers, partId, true);
    }

    private Response handle(InputStream in, HttpHeaders headers, String partQuery, boolean multipart) {
        if (models.active() == null) {
            return error(503, "no model is loaded");
        }
        String source = headers.getHeaderString("X-Source");
        source = source != null && !source.isBlank() ? source.strip() : "http";
        String partId;
        try {
            partId = partId(headers.getHeaderString("X-Part-Id"), partQuery, null);
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
        long max = config.api().maxImageBytes();
        long bodyMax = multipart ? max + MULTIPART_MARGIN : max;
        long declared = headers.getLength();
        if (declared > bodyMax) {
            // refused from its Content-Length, unread, and on the record like any unreadable image
            return refused(source, partId, "the request body is " + declared + " bytes, over the limit of " + max
                    + " bytes (kensa.api.max-image-bytes)");
        }
        // the body's bytes count against the image memory budget before they are read
        DecodeBudget.Lease lease = queue.budget().tryAcquire(declared >= 0 ? declared : bodyMax);
        if (lease == null) {
            return busy("image memory in use is at kensa.image.decode-budget-bytes: try again shortly");
        }
        try {
            byte[] body;
            try {
                body = in == null ? new byte[0] : in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bodyMax + 1));
            } catch (IOException e) {
                return error(400, "cannot read the request body: " + e.getMessage());
            }
            if (body.length > bodyMax) {
                lease.close();
                return refused(source, partId, "the request body is over the limit of " + max
                        + " bytes (kensa.api.max-image-bytes)");
            }
            byte[] image = body;
            if (multipart) {
                try {
                    Upload u = upload(body, headers.getHeaderString(HttpHeaders.CONTENT_TYPE));
                    image = u.image();
                    partId = partId(headers.getHeaderString("X-Part-Id"), partQuery, u.partId());
                } catch (IllegalArgumentException e) {
                    return error(400, e.getMessage());
                }
                if (image.length > max) {
                    lease.close();
                    return refused(source, partId, "the uploaded file is " + image.length + " bytes, over the limit of "
                            + max + " bytes (kensa.api.max-image-bytes)");
                }
            }
            Inspection inspection = queue.inspect(ImageInput.of(source, image, null, partId), image, lease).inspection();
            int status = inspection.result().verdict() == Verdict.ERROR ? 422 : 200;
            return Response.status(status).entity(inspection.result()).build();
        } catch (InspectionQueue.BusyException e) {
            return busy(e.getMessage());
        } catch (KensaException e) {
            return error(503, e.getMessage());
        } catch (Exception e) {
            return error(500, String.valueOf(e.getMessage()));
        } finally {
            lease.close(); // the queue took its own hold until the result was journalled; closing twice is harmless
        }
    }

    /** The part id from the header, the query or a form field; two that disagree are refused. */
    private static String partId(String header, String query, String field) {
        String h = PartId.check(header, "X-Part-Id");
        String q = PartId.check(query, "the partId query parameter");
        String f = PartId.check(field, "the partId form field");
        String id = null;
        for (String s : new String[]{h, q, f}) {
            if (s != null && id != null && !s.equals(id)) {
                throw new IllegalArgumentException("two different part ids given (X-Part-Id, ?partId= or form field "
                        + "partId): '" + id + "' and '" + s + "'");
            }
            id = s != null ? s : id;
        }
        return id;
    }

    private record Upload(byte[] image, String partId) {
    }

    /** The one file of a multipart upload, and its {@code partId} field if any. */
    private static Upload upload(byte[] body, String contentType) {
        List<Multipart.Part> parts = Multipart.parse(body, contentType);
        List<Multipart.Part> files = parts.stream().filter(p -> p.filename() != null).toList();
        if (files.isEmpty()) { // a client that names no file: a part that is not a plain text field
            files = parts.stream().filter(p -> p.contentType() != null && !p.contentType().startsWith("text/")).toList();
        }
        if (files.size() != 1) {
            throw new IllegalArgumentException("a multipart upload to /api/v1/inspect needs exactly one file, got "
                    + files.size());
        }
        String partId = parts.stream().filter(p -> p.filename() == null && "partId".equals(p.name()))
                .map(Multipart.Part::text).findFirst().orElse(null);
        return new Upload(files.get(0).bytes(), partId);
    }

    /** Journals an ERROR result for an image refused unread and answers 413 with it. */
    private Response refused(String source, String partId, String reason) {
        try {
            Inspection inspection = queue.inspect(ImageInput.refused(source, null, partId, reason), null, null)
                    .inspection();
            return Response.status(413).entity(inspection.result()).build();
        } catch (InspectionQueue.BusyException e) {
            return busy(e.getMessage());
        } catch (Exception e) {
            return error(413, reason);
        }
    }

    private static Response busy(String message) {
        return Response.status(503).header("Retry-After", "1").type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message)).build();
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
