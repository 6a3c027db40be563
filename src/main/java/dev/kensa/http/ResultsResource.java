package dev.kensa.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.daemon.ResultStore;
import dev.kensa.journal.NgArchive;
import dev.kensa.verdict.InspectionResult;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results an engineer asks for (DESIGN §7): {@code GET /api/v1/results?verdict=NG&since=&limit=} as JSON or,
 * with {@code Accept: text/csv}, as CSV; {@code GET /api/v1/results/{id}/heatmap.jpg}. NG results come from the
 * on-disk NG archive (they survive restarts); other verdicts from the recent results in memory.
 */
@Path("/api/v1/results")
public class ResultsResource {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ResultStore store;

    /** JSON unless the client asks for CSV and not JSON (a browser or curl without Accept gets JSON). */
    @GET
    @Produces({"application/json", "text/csv"})
    public Response list(@QueryParam("verdict") String verdict, @QueryParam("since") String since,
                         @QueryParam("limit") @DefaultValue("100") int limit, @HeaderParam("Accept") String accept) {
        boolean csv = accept != null && accept.contains("text/csv") && !accept.contains("application/json");
        Query q = Query.of(verdict, since, limit);
        if (q.error != null) {
            return csv ? Response.status(400).entity(q.error + "\n").type("text/plain").build()
                    : Response.status(400).entity(java.util.Map.of("error", q.error)).type("application/json").build();
        }
        if (!csv) {
            return Response.ok(find(q)).type("application/json").build();
        }
        StringBuilder sb = new StringBuilder("id,ts,source,verdict,score,normalizedScore,threshold,thresholdSource,modelId,modelSha256,regions,error,partId\n");
        for (InspectionResult r : find(q)) {
            sb.append(String.join(",", csv(r.id()), csv(r.ts()), csv(r.source()), r.verdict().name(),
                    num(r.score()), num(r.normalizedScore()), num(r.threshold()), csv(r.thresholdSource()),
                    csv(r.model() == null ? null : r.model().id()), csv(r.model() == null ? null : r.model().sha256()),
                    String.valueOf(r.regions() == null ? 0 : r.regions().size()), csv(r.error()),
                    csv(r.partId()))).append('\n'); // partId last: columns added later keep the earlier ones in place
        }
        return Response.ok(sb.toString()).type("text/csv")
                .header("Content-Disposition", "inline; filename=\"kensa-results.csv\"").build();
    }

    @GET
    @Path("/{id}/heatmap.jpg")
    @Produces("image/jpeg")
    public Response heatmap(@PathParam("id") String id) throws IOException {
        byte[] recent = store.recentHeatmap(id);
        if (recent != null && recent.length > 0) {
            return Response.ok(recent).build();
        }
        NgArchive.Item it = store.archive().byId(id);
        if (it != null && Files.exists(it.heatmap())) {
            return Response.ok(Files.readAllBytes(it.heatmap())).build();
        }
        return Response.status(404).type("text/plain").entity("no heatmap for result " + id + "\n").build();
    }

    private List<InspectionResult> find(Query q) {
        List<InspectionResult> out = new ArrayList<>();
        if ("NG".equals(q.verdict)) {
            for (NgArchive.Item it : store.archive().newest(Integer.MAX_VALUE)) {
                if (out.size() >= q.limit) {
                    break;
                }
                try {
                    InspectionResult r = JSON.readValue(it.json().toFile(), InspectionResult.class);
                    if (q.since == null || !Instant.parse(r.ts()).isBefore(q.since)) {
                        out.add(r);
                    }
                } catch (IOException deletedMeanwhile) {
                    // retention removed it between listing and reading
                }
            }
            return out;
        }
        for (ResultStore.Recent r : store.recent(Integer.MAX_VALUE)) {
            if (out.size() >= q.limit) {
                break;
            }
            InspectionResult res = r.result();
            if ((q.verdict == null || res.verdict().name().equals(q.verdict))
                    && (q.since == null || !Instant.parse(res.ts()).isBefore(q.since))) {
                out.add(res);
            }
        }
        return out;
    }

    private record Query(String verdict, Instant since, int limit, String error) {
        static Query of(String verdict, String since, int limit) {
            String v = verdict == null || verdict.isBlank() ? null : verdict.toUpperCase(Locale.ROOT);
            if (v != null && !List.of("OK", "NG", "ERROR").contains(v)) {
                return new Query(null, null, 0, "verdict must be OK, NG or ERROR");
            }
            if (limit < 1 || limit > 10_000) {
                return new Query(null, null, 0, "limit must be 1..10000");
            }
            Instant s = null;
            if (since != null && !since.isBlank()) {
                try {
                    s = Instant.parse(since);
                } catch (DateTimeParseException e) {
                    return new Query(null, null, 0, "since must be an ISO-8601 instant, e.g. 2026-11-23T08:00:00Z");
                }
            }
            return new Query(v, s, limit, null);
        }
    }

    private static String csv(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    private static String num(Double d) {
        return d == null ? "" : String.format(Locale.ROOT, "%.6g", d);
    }
}
