package dev.kensa.http;

import dev.kensa.KensaException;
import dev.kensa.daemon.InspectionQueue;
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
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/inspect}: an image in, the result JSON out (../shared/DESIGN.md §7). The body is the image, whatever
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
 * ({@code kensa.image.decode-budget-bytes}) is 503 with {@code Retry-After}. Those checks run before the body is
 * read ({@link InspectAdmission}), and the request's share of the budget is taken there.
 *
 * <p>A multipart upload is read by Quarkus REST ({@link RestForm}, {@link FileUpload}), its file into a temporary
 * file that Quarkus deletes when the request ends; it needs a Content-Length (411 otherwise), since that is what
 * bounds the file before it is written. A file larger than the limit inside a body within it (the multipart margin)
 * is refused from its size, unread, with a journalled ERROR result (413).
 */
@Path("/api/v1/inspect")
public class InspectResource {
    /** What this endpoint takes, for error messages (also used for its 415). */
    static final String ACCEPTS = "the image as the body (Content-Type image/*, application/octet-stream or none), "
            + "or multipart/form-data with one file";
    /** Room for the multipart boundaries, part headers and fields above the image itself. */
    static final int MULTIPART_MARGIN = 64 * 1024;

    @Inject
    InspectionQueue queue;

    @Inject
    InspectAdmission.Hold hold;

    @Inject
    dev.kensa.KensaConfig config;

    @POST
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, "image/*", MediaType.APPLICATION_FORM_URLENCODED})
    @Produces(MediaType.APPLICATION_JSON)
    @InspectAdmission.Checked
    public Response inspect(InputStream in, @Context HttpHeaders headers, @QueryParam("partId") String partId) {
        String source = source(headers.getHeaderString("X-Source"));
        String part = partId(headers.getHeaderString("X-Part-Id"), partId, null); // checked by InspectAdmission
        long max = config.api().maxImageBytes();
        byte[] image;
        try {
            image = in == null ? new byte[0] : in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException e) {
            return error(400, "cannot read the request body: " + e.getMessage());
        }
        if (image.length > max) {
            hold.held().close();
            return refused(queue, source, part, "the request body is over the limit of " + max
                    + " bytes (kensa.api.max-image-bytes)");
        }
        return inspect(source, part, image);
    }

    /**
     * A {@code multipart/form-data} upload, read by Quarkus REST: exactly one file (a part with a file name, or one of
     * the image types of {@code quarkus.http.body.multipart.file-content-types} without one) and optionally a
     * {@code partId} field.
     */
    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @InspectAdmission.Checked
    public Response inspectUpload(@RestForm(FileUpload.ALL) List<FileUpload> files, @RestForm("partId") String partField,
                                  @Context HttpHeaders headers, @QueryParam("partId") String partQuery) {
        String source = source(headers.getHeaderString("X-Source"));
        if (files == null || files.size() != 1) {
            return error(400, "a multipart upload to /api/v1/inspect needs exactly one file, got "
                    + (files == null ? 0 : files.size()));
        }
        String partId;
        try {
            partId = partId(headers.getHeaderString("X-Part-Id"), partQuery, partField);
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
        FileUpload file = files.get(0);
        long max = config.api().maxImageBytes();
        if (file.size() > max) {
            hold.held().close();
            return refused(queue, source, partId, "the uploaded file is " + file.size() + " bytes, over the limit of "
                    + max + " bytes (kensa.api.max-image-bytes)");
        }
        byte[] image;
        try {
            image = Files.readAllBytes(file.uploadedFile());
        } catch (IOException e) {
            return error(500, "cannot read the uploaded file back: " + e.getMessage());
        }
        return inspect(source, partId, image);
    }

    /**
     * A multipart body Quarkus REST could not read to its end (closing boundary missing, connection lost): the
     * client's fault, one line, like every refusal here. Only this resource's methods: a mapper declared in it.
     */
    @ServerExceptionMapper
    public Response unreadable(IOException e) {
        return error(400, "cannot read the request body: " + e.getMessage());
    }

    /** Inspects an image read under the request's lease; the result is journalled before the answer. */
    private Response inspect(String source, String partId, byte[] image) {
        try {
            Inspection inspection = queue.inspect(ImageInput.of(source, image, null, partId), image, hold.held())
                    .inspection();
            int status = inspection.result().verdict() == Verdict.ERROR ? 422 : 200;
            return Response.status(status).entity(inspection.result()).build();
        } catch (InspectionQueue.BusyException e) {
            return busy(e.getMessage());
        } catch (KensaException e) {
            return error(503, e.getMessage());
        } catch (Exception e) {
            return error(500, String.valueOf(e.getMessage()));
        }
    }

    /** {@code X-Source}, default {@code http}. */
    static String source(String header) {
        return header != null && !header.isBlank() ? header.strip() : "http";
    }

    /** The part id from the header, the query or a form field; two that disagree are refused. */
    static String partId(String header, String query, String field) {
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

    /** Journals an ERROR result for an image refused unread and answers 413 with it. */
    static Response refused(InspectionQueue queue, String source, String partId, String reason) {
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

    static Response busy(String message) {
        return Response.status(503).header("Retry-After", "1").type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message)).build();
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
