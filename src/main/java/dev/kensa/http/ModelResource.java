package dev.kensa.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.Manifest;
import dev.kensa.daemon.ModelService;
import dev.kensa.model.ModelManager;
import dev.kensa.model.ModelStore;
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
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model lifecycle over HTTP (DESIGN §7, §8): {@code GET /api/v1/model}, {@code PUT /api/v1/model} (bundle zip),
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

    @GET
    public Response get() {
        ModelManager m = models.manager();
        if (m == null) {
            return error(503, "the model lifecycle is not started");
        }
        ModelManager.Loaded a = m.active();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", a == null ? null : describe(m, a));
        String previous = m.store().state().previous();
        out.put("previous", previous == null ? null : describeStored(m, previous));
        out.put("swaps", m.swaps());
        out.put("refusals", m.refusals());
        out.put("lastRefusal", m.lastRefusal());
        return Response.ok(out).build();
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

    static Map<String, Object> describe(ModelManager m, ModelManager.Loaded a) {
        Map<String, Object> d = new LinkedHashMap<>();
        Manifest mf = a.bundle().manifest();
        d.put("id", a.bundle().id());
        d.put("name", mf.name());
        d.put("sha256", a.bundle().sha256());
        d.put("method", a.bundle().method());
        d.put("model", a.bundle().model().describe());
        d.put("created", mf.created());
        d.put("threshold", a.inspector().threshold());
        d.put("thresholdSource", a.inspector().thresholdInForce().source());
        d.put("bundleThreshold", a.bundle().imageThreshold());
        d.put("calibration", a.bundle().pipeline().threshold().image().source());
        d.put("override", m.thresholdOverride(a));
        d.put("backend", a.backend());
        d.put("loadedAt", a.loadedAt().toString());
        d.put("loadSeconds", Math.round(a.loadSeconds() * 100) / 100.0);
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("passed", a.selfTest().passed());
        st.put("checks", a.selfTest().checks().stream().map(c -> {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("file", c.file());
            cm.put("expected", c.expected());
            cm.put("actual", Double.isNaN(c.actual()) ? null : c.actual());
            cm.put("tolerance", c.tolerance());
            cm.put("passed", c.passed());
            return cm;
        }).toList());
        d.put("selfTest", st);
        d.put("imageQuality", a.inspector().qualityGate().describe());
        return d;
    }

    /** The previous bundle as the store holds it (not loaded): what a rollback would bring back. */
    static Map<String, Object> describeStored(ModelManager m, String name) {
        Map<String, Object> d = new LinkedHashMap<>();
        java.nio.file.Path dir = m.store().bundleDir(name);
        try {
            byte[] manifestBytes = Files.readAllBytes(dir.resolve(BundleReader.MANIFEST));
            Manifest mf = BundleReader.readManifest(dir);
            String sha = dev.kensa.bundle.Checksums.sha256Hex(manifestBytes); // a bundle's identity, as BundleReader defines it
            d.put("id", mf.id());
            d.put("name", mf.name());
            d.put("sha256", sha);
            d.put("method", mf.method() != null ? mf.method() : dev.kensa.method.Methods.DEFAULT);
            d.put("created", mf.created());
            JsonNode t = JSON.readTree(dir.resolve(BundleReader.PIPELINE).toFile()).path("threshold").path("image");
            ModelStore.ThresholdOverride o = m.store().state().overrides().get(sha);
            d.put("threshold", o != null ? o.value() : t.path("value").asDouble());
            d.put("thresholdSource", o != null ? "override" : "bundle");
            d.put("bundleThreshold", t.path("value").asDouble());
            d.put("calibration", t.path("source").asText(null));
            d.put("override", o);
        } catch (Exception e) {
            d.put("storeName", name);
            d.put("error", "cannot read the stored bundle: " + e.getMessage());
        }
        return d;
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
