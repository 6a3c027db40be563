package dev.kensa.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.daemon.ResultStore;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.NgArchive;
import dev.kensa.verdict.Verdict;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results an engineer asks for (../shared/DESIGN.md §7): {@code GET /api/v1/results?verdict=NG&since=&limit=} as JSON or,
 * with {@code Accept: text/csv}, as CSV; {@code GET /api/v1/results/{id}/heatmap.jpg}. The list comes from the
 * results journal, newest first, exactly as each result was journalled and published, so a restart or a power cut
 * hides nothing the journal still holds ({@code kensa.journal.retain-bytes}); NG results older than the journal come
 * from the NG archive, which keeps them longer.
 */
@Path("/api/v1/results")
public class ResultsResource {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The journal is in time order up to batch interleaving; a walk for {@code since} stops this far before it. */
    private static final Duration SINCE_SLACK = Duration.ofMinutes(1);

    @Inject
    ResultStore store;

    /** JSON unless the client asks for CSV and not JSON (a browser or curl without Accept gets JSON). */
    @GET
    @Produces({"application/json", "text/csv"})
    public Response list(@QueryParam("verdict") String verdict, @QueryParam("since") String since,
                         @QueryParam("limit") String limit, @HeaderParam("Accept") String accept) {
        boolean csv = accept != null && accept.contains("text/csv") && !accept.contains("application/json");
        Query q;
        try {
            q = Query.of(verdict, since, limit);
        } catch (QueryParams.Bad e) {
            return csv ? Response.status(400).entity(e.getMessage() + "\n").type("text/plain").build() : e.response();
        }
        if (!csv) {
            return Response.ok(find(q)).type("application/json").build();
        }
        StringBuilder sb = new StringBuilder("id,ts,source,verdict,score,normalizedScore,threshold,thresholdSource,modelId,modelSha256,regions,error,partId\n");
        for (JsonNode r : find(q)) {
            sb.append(String.join(",", csv(text(r, "id")), csv(text(r, "ts")), csv(text(r, "source")), csv(text(r, "verdict")),
                    num(r.get("score")), num(r.get("normalizedScore")), num(r.get("threshold")), csv(text(r, "thresholdSource")),
                    csv(text(r.path("model"), "id")), csv(text(r.path("model"), "sha256")),
                    String.valueOf(r.path("regions").size()), csv(text(r, "error")),
                    csv(text(r, "partId")))).append('\n'); // partId last: columns added later keep the earlier ones in place
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
        JournalEntry e = store.journal().findById(id); // an older result, e.g. from before a restart
        if (e != null && e.heatmap().length > 0) {
            return Response.ok(e.heatmap()).build();
        }
        return Response.status(404).type("text/plain").entity("no heatmap for result " + id + "\n").build();
    }

    /** Newest first: the journal, then (for NG) the archive's parts older than the journal's oldest entry. */
    private List<JsonNode> find(Query q) {
        List<JsonNode> out = new ArrayList<>();
        Instant stopBefore = q.since == null ? null : q.since.minus(SINCE_SLACK);
        store.journal().newestFirst(v -> q.verdict == null || q.verdict.equals(v), e -> {
            JsonNode r = parse(e.json());
            if (r == null) {
                return true;
            }
            Instant ts = ts(r);
            if (q.since != null && (ts == null || ts.isBefore(q.since))) {
                return ts == null || !ts.isBefore(stopBefore);
            }
            out.add(r);
            return out.size() < q.limit;
        });
        if (q.verdict == Verdict.NG && out.size() < q.limit) {
            long oldestJournalled = store.journal().firstSeq();
            for (NgArchive.Item it : store.archive().newest(Integer.MAX_VALUE)) {
                if (out.size() >= q.limit) {
                    break;
                }
                if (it.seq() >= oldestJournalled) {
                    continue; // listed from the journal above
                }
                JsonNode r;
                try {
                    r = parse(Files.readAllBytes(it.json()));
                } catch (IOException deletedMeanwhile) {
                    continue; // retention removed it between listing and reading
                }
                Instant ts = r == null ? null : ts(r);
                if (ts != null && (q.since == null || !ts.isBefore(q.since))) {
                    out.add(r);
                } else if (ts != null && ts.isBefore(stopBefore)) {
                    break;
                }
            }
        }
        return out;
    }

    private static JsonNode parse(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return null; // not a result we can list; the journal keeps it for the publisher all the same
        }
    }

    private static Instant ts(JsonNode r) {
        try {
            return Instant.parse(r.path("ts").asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private record Query(Verdict verdict, Instant since, int limit) {
        static Query of(String verdict, String since, String limit) {
            Verdict v = null;
            if (verdict != null && !verdict.isBlank()) {
                try {
                    v = Verdict.valueOf(verdict.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new QueryParams.Bad("verdict", "verdict must be OK, NG or ERROR, not '" + QueryParams.shorten(verdict) + "'");
                }
            }
            int n = QueryParams.integer("limit", limit, 100, 1, 10_000);
            Instant s = null;
            if (since != null && !since.isBlank()) {
                try {
                    s = Instant.parse(since.strip());
                } catch (DateTimeParseException e) {
                    throw new QueryParams.Bad("since", "since must be an ISO-8601 instant, e.g. 2026-11-23T08:00:00Z, not '"
                            + QueryParams.shorten(since) + "'");
                }
            }
            return new Query(v, s, n);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
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

    private static String num(JsonNode d) {
        return d == null || !d.isNumber() ? "" : String.format(Locale.ROOT, "%.6g", d.asDouble());
    }
}
