package dev.kensa.http;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/**
 * Every HTTP error of the REST endpoints has a JSON body {@code {"error": "..."}} that says what went wrong and what
 * is expected: the framework's own refusals (415 wrong Content-Type, 405, 406, 404) answer with an empty body
 * otherwise. A response that already carries a body is left as it is. A more specific mapper (for one exception
 * type) takes precedence over this one.
 */
public class ApiErrors {

    @ServerExceptionMapper
    public Response map(WebApplicationException e, ContainerRequestContext request) {
        Response r = e.getResponse();
        if (r != null && r.hasEntity()) {
            return r;
        }
        int status = r != null ? r.getStatus() : 500;
        String method = request.getMethod();
        String path = request.getUriInfo().getPath();
        String message = switch (status) {
            case 415 -> {
                String type = request.getHeaderString(HttpHeaders.CONTENT_TYPE);
                yield (type == null ? "no Content-Type" : "Content-Type " + type) + " is not accepted by " + method
                        + " " + path + "; send " + expected(path);
            }
            case 405 -> method + " is not allowed on " + path;
            case 406 -> path + " cannot answer in " + request.getHeaderString(HttpHeaders.ACCEPT);
            // a query parameter that cannot be converted is a 404 in JAX-RS: say which value failed
            case 404 -> "not found: " + method + " " + path + (e.getCause() != null
                    ? " (a parameter could not be read: " + e.getCause().getMessage() + ")" : "");
            default -> e.getMessage();
        };
        Response.ResponseBuilder b = r != null ? Response.fromResponse(r) : Response.status(status);
        return b.type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }

    /** What a body-taking endpoint accepts, in words. */
    static String expected(String path) {
        if (path.startsWith("/api/v1/inspect")) {
            return InspectResource.ACCEPTS;
        }
        if (path.equals("/api/v1/model/threshold")) {
            return "Content-Type application/json, e.g. {\"value\": 18.5, \"by\": \"k.sato\", \"reason\": \"...\"}";
        }
        if (path.equals("/api/v1/model")) {
            return "the bundle zip with Content-Type application/zip (or application/octet-stream)";
        }
        return "one of the types this endpoint documents (README, HTTP API)";
    }
}
