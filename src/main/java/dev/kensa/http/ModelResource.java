package dev.kensa.http;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.daemon.ModelService;
import dev.kensa.daemon.ModelSummary;
import dev.kensa.daemon.Status;
import dev.kensa.model.ModelEvent;
import dev.kensa.model.ModelManager;
import dev.kensa.model.ModelStore;
import dev.kensa.quality.QualityGate;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The model lifecycle over HTTP (../shared/DESIGN.md §7, §8): {@code GET /api/v1/model}, {@code PUT /api/v1/model} (bundle zip),
 * {@code POST /api/v1/model/rollback}, {@code PUT|DELETE /api/v1/model/threshold} and {@code GET /api/v1/model/audit}.
 * The mutating ones need the bearer token ({@link ApiAuthFilter}). Who did it is taken from {@code X-Kensa-User}
 * (or the threshold body's {@code by}) and recorded with the caller's address in the audit log.
 */
@Path("/api/v1/model")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ModelService models;

    @Context
    HttpServerRequest request;

    /** {@code GET /api/v1/model}: the active model, the previous one (what a rollback brings back), the counts. */
    @JsonPropertyOrder({"active", "previous", "swaps", "refusals", "lastRefusal"})
    public record Models(Active active, Previous previous, long swaps, long refusals, ModelEvent.Refusal lastRefusal) {
    }

    /** The active model in full: what {@link Status.Model} says (from the same {@link ModelSummary}) and more. */
    @JsonPropertyOrder({"id", "name", "sha256", "method", "model", "created", "threshold", "thresholdSource",
            "bundleThreshold", "calibration", "override", "backend", "loadedAt", "loadSeconds", "selfTest",
            "imageQuality"})
    public record Active(String id, String name, String sha256, String method, String model, String created,
                         double threshold, String thresholdSource, double bundleThreshold, String calibration,
                         ModelStore.ThresholdOverride override, String backend, String loadedAt, double loadSeconds,
                         SelfTestReport selfTest, QualityGate.Description imageQuality) {
    }

    @JsonPropertyOrder({"passed", "checks"})
    public record SelfTestReport(boolean passed, List<SelfTestCheck> checks) {
    }

    /** @param actual null when the image could not be scored */
    @JsonPropertyOrder({"file", "expected", "actual", "tolerance", "passed"})
    public record SelfTestCheck(String file, double expected, Double actual, double tolerance, boolean passed) {
    }

    /** The previous bundle as the store holds it: {@link Stored}, or {@link Unreadable} saying why not. */
    public sealed interface Previous permits Stored, Unreadable {
    }

    @JsonPropertyOrder({"id", "name", "sha256", "method", "created", "threshold", "thresholdSource", "bundleThreshold",
            "calibration", "override"})
    public record Stored(String id, String name, String sha256, String method, String created, double threshold,
                         String thresholdSource, double bundleThreshold, String calibration,
                         ModelStore.ThresholdOverride override) implements Previous {
    }

    @JsonPropertyOrder({"storeName", "error"})
    public record Unreadable(String storeName, String error) implements Previous {
    }

    @GET
    public Response get() {
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        ModelManager.Loaded a = m.active();
        String previous = m.store().state().previous();
        return Response.ok(new Models(a == null ? null : describe(m, a),
                previous == null ? null : describeStored(m, previous), m.swaps(), m.refusals(), m.lastRefusal())).build();
    }

    @PUT
    @Consumes({"application/zip", MediaType.APPLICATION_OCTET_STREAM, "application/x-zip-compressed"})
    public Response swap(InputStream body, @HeaderParam("X-Kensa-User") String user) {
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        try {
            return Response.ok(describe(m, m.swap(body, who(user)))).build();
        } catch (ModelManager.Refused e) {
            return error(status(e.reason()), e.getMessage());
        }
    }

    @POST
    @Path("/rollback")
    public Response rollback(@HeaderParam("X-Kensa-User") String user) {
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        try {
            return Response.ok(describe(m, m.rollback(who(user)))).build();
        } catch (ModelManager.Refused e) {
            return error(status(e.reason()), e.getMessage());
        }
    }

    /** Body {@code {"value": 18.5, "by": "j.tanaka", "reason": "..."}}; {@code "value": null} clears the override. */
    @PUT
    @Path("/threshold")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response threshold(String body, @HeaderParam("X-Kensa-User") String user) {
        JsonNode n;
        try {
            n = JSON.readTree(body == null ? "" : body);
        } catch (java.io.IOException e) {
            return error(400, "body must be JSON {\"value\": number|null, \"by\": \"who\", \"reason\": \"why\"}");
        }
        if (n == null || !n.isObject() || !n.has("value") || !(n.get("value").isNumber() || n.get("value").isNull())) {
            return error(400, "body must be JSON {\"value\": number|null, \"by\": \"who\", \"reason\": \"why\"}");
        }
        String by = n.hasNonNull("by") ? n.get("by").asText() : user;
        if (by == null || by.isBlank()) {
            return error(400, "say who sets the threshold: \"by\" in the body or the X-Kensa-User header (it goes to the audit log)");
        }
        Double value = n.get("value").isNull() ? null : n.get("value").asDouble();
        return setThreshold(value, by, n.hasNonNull("reason") ? n.get("reason").asText() : null);
    }

    @DELETE
    @Path("/threshold")
    public Response clearThreshold(@HeaderParam("X-Kensa-User") String user) {
        return setThreshold(null, user, null);
    }

    /** @param by the caller's name as given (body or header); {@link #who} adds the address */
    private Response setThreshold(Double value, String by, String reason) {
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        try {
            m.overrideThreshold(value, who(by), reason);
            return Response.ok(describe(m, m.active())).build();
        } catch (ModelManager.Refused e) {
            return error(status(e.reason()), e.getMessage());
        }
    }

    @GET
    @Path("/audit")
    public Response audit(@QueryParam("limit") String limit) {
        int n;
        try {
            n = QueryParams.integer("limit", limit, 100, 1, 10_000);
        } catch (QueryParams.Bad e) {
            return e.response();
        }
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        return Response.ok(m.store().auditTail(n)).build();
    }

    private String who(String user) {
        String addr = request != null && request.remoteAddress() != null ? request.remoteAddress().hostAddress() : "?";
        String name = user == null || user.isBlank() ? "token" : user.strip();
        if (name.length() > 100) {
            name = name.substring(0, 100);
        }
        return name.contains("@") ? name : name + "@" + addr;
    }

    static Active describe(ModelManager m, ModelManager.Loaded a) {
        ModelSummary s = ModelSummary.of(a);
        List<SelfTestCheck> checks = a.selfTest().checks().stream().map(c -> new SelfTestCheck(c.file(), c.expected(),
                Double.isNaN(c.actual()) ? null : c.actual(), c.tolerance(), c.passed())).toList();
        return new Active(s.id(), s.name(), s.sha256(), s.method(), a.bundle().model().describe(), s.created(),
                s.threshold(), s.thresholdSource(), s.bundleThreshold(), s.calibration(), m.thresholdOverride(a),
                a.backend(), a.loadedAt().toString(), Math.round(a.loadSeconds() * 100) / 100.0,
                new SelfTestReport(a.selfTest().passed(), checks), a.inspector().qualityGate().describe());
    }

    /** The previous bundle as the store holds it (not loaded): what a rollback would bring back. */
    static Previous describeStored(ModelManager m, String name) {
        try {
            ModelSummary s = ModelSummary.stored(m.store(), name);
            return new Stored(s.id(), s.name(), s.sha256(), s.method(), s.created(), s.threshold(), s.thresholdSource(),
                    s.bundleThreshold(), s.calibration(), m.store().state().overrides().get(s.sha256()));
        } catch (Exception e) {
            return new Unreadable(name, "cannot read the stored bundle: " + e.getMessage());
        }
    }

    /** The HTTP status of a refusal: 400 bad input, 409 conflict, 413 too large, 422 a bundle that fails its checks. */
    static int status(ModelManager.Refused.Reason r) {
        return switch (r) {
            case BAD_REQUEST -> 400;
            case BUSY, CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case BUNDLE_REFUSED -> 422;
            case STORE_FAILED -> 500;
        };
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
