package dev.kensa.http;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Query parameters taken as text and checked here, so a bad one answers 400 with a body that names it (a JAX-RS
 * {@code int} parameter answers a non-number with an empty 404, which reads as "no such endpoint").
 */
final class QueryParams {
    private QueryParams() {
    }

    /** A query parameter whose value cannot be used; {@link #response()} is the 400 that says which and why. */
    static final class Bad extends RuntimeException {
        final String parameter;

        Bad(String parameter, String message) {
            super(message);
            this.parameter = parameter;
        }

        Response response() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", getMessage());
            body.put("parameter", parameter);
            return Response.status(400).type(MediaType.APPLICATION_JSON).entity(body).build();
        }
    }

    /** {@code raw} as a whole number in [min, max]; {@code dflt} when absent or blank. */
    static int integer(String name, String raw, int dflt, int min, int max) {
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(raw.strip());
        } catch (NumberFormatException e) {
            throw new Bad(name, name + " must be a whole number from " + min + " to " + max + ", not '" + shorten(raw) + "'");
        }
        if (v < min || v > max) {
            throw new Bad(name, name + " must be from " + min + " to " + max + ", not " + v);
        }
        return (int) v;
    }

    static String shorten(String raw) {
        return raw.length() > 40 ? raw.substring(0, 40) + "…" : raw;
    }
}
