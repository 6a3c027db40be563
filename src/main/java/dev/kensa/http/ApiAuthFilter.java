package dev.kensa.http;

import dev.kensa.KensaConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

import java.util.Map;

/**
 * Bearer-token check of the API (../shared/DESIGN.md §7), one policy for every {@code /api/} endpoint so a new mutating endpoint
 * is protected without remembering to: anything but GET/HEAD needs the token, except POST /api/v1/inspect unless
 * {@code kensa.api.inspect-requires-token}; GET/HEAD need it only with {@code kensa.api.read-requires-token}.
 * Health, metrics and the status page are not under /api/ and stay open.
 * <p>
 * No Authorization header (or not Bearer): 401 with {@code WWW-Authenticate: Bearer}. A wrong token, or no token
 * configured on the box: 403.
 */
@Provider
public class ApiAuthFilter implements ContainerRequestFilter {
    private static final Logger LOG = Logger.getLogger(ApiAuthFilter.class);

    @Inject
    ApiToken token;
    // looked up per request: REST creates its filters at static init, before config mappings exist
    @Inject
    jakarta.enterprise.inject.Instance<KensaConfig> config;

    @Override
    public void filter(ContainerRequestContext ctx) {
        String path = ctx.getUriInfo().getPath();
        if (!path.startsWith("/api/") || !needsToken(ctx.getMethod(), path)) {
            return;
        }
        String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.abortWith(Response.status(401).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"kensa\"")
                    .type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", "this endpoint needs Authorization: Bearer <token> (kensa.api.token-file)"))
                    .build());
            return;
        }
        if (!token.configured()) {
            ctx.abortWith(Response.status(403).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", "no API token is configured on this box (kensa.api.token-file), so "
                            + ctx.getMethod() + " " + path + " is refused"))
                    .build());
            return;
        }
        if (!token.matches(header.substring(7).strip())) {
            LOG.warnf("refused %s %s: wrong API token", ctx.getMethod(), path);
            ctx.abortWith(Response.status(403).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", "wrong API token")).build());
        }
    }

    private boolean needsToken(String method, String path) {
        if ("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)) {
            return config.get().api().readRequiresToken();
        }
        if ("POST".equals(method) && path.equals("/api/v1/inspect")) {
            return config.get().api().inspectRequiresToken();
        }
        return true;
    }
}
