package dev.kensa.http;

import dev.kensa.KensaConfig;
import dev.kensa.daemon.DecodeBudget;
import dev.kensa.daemon.InspectionQueue;
import dev.kensa.daemon.ModelService;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.RequestScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.NameBinding;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What {@code POST /api/v1/inspect} checks before a byte of the body is read (../shared/DESIGN.md §7), in this order:
 * a model is loaded (else 503); the part id of {@code X-Part-Id} and {@code ?partId=} is well formed (400); the body's
 * Content-Length is within {@code kensa.api.max-image-bytes} (plus {@link InspectResource#MULTIPART_MARGIN} for a
 * multipart upload), else 413 with a journalled ERROR result and the body unread; and the image memory budget
 * ({@code kensa.image.decode-budget-bytes}) holds the body's bytes, else 503 with {@code Retry-After}. The lease it
 * takes is the request's {@link Hold}, released when the request ends, whatever became of it.
 *
 * <p>A request filter rather than the resource method's first lines because Quarkus REST reads a multipart form,
 * file parts into temporary files, before the method runs; filters run before that. Quarkus' own limit
 * ({@code quarkus.http.limits.max-body-size}) is the bundle upload's, far above an image's.
 *
 * <p>A multipart upload must say its Content-Length (411 otherwise; browsers, {@code curl -F} and HTTP client
 * libraries do): without one Quarkus REST would write the parts to disk up to that server-wide limit before the size
 * of the file could be checked. A raw image body may come without one: the resource reads it itself, at most one
 * byte over the limit.
 */
public class InspectAdmission {

    /** Marks the resource methods whose requests pass these checks. */
    @NameBinding
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.METHOD, ElementType.TYPE})
    @interface Checked {
    }

    /** The request's share of the image memory budget, released when the request's scope ends. */
    @RequestScoped
    public static class Hold {
        private DecodeBudget.Lease held;

        public DecodeBudget.Lease held() {
            return held;
        }

        public void hold(DecodeBudget.Lease lease) {
            held = lease;
        }

        @PreDestroy
        void release() {
            if (held != null) {
                held.close(); // the queue took its own hold until the result was journalled; closing twice is harmless
            }
        }
    }

    // looked up per request: REST creates its filters at static init, before config mappings exist
    @Inject
    Instance<ModelService> models;
    @Inject
    Instance<InspectionQueue> queue;
    @Inject
    Instance<KensaConfig> config;
    @Inject
    Instance<Hold> hold;

    /** After the API token check ({@link ApiAuthFilter}, at {@link Priorities#USER}). */
    @ServerRequestFilter(priority = Priorities.USER + 100)
    @Checked
    public Response admit(ContainerRequestContext ctx) {
        if (models.get().active() == null) {
            return InspectResource.error(503, "no model is loaded");
        }
        String source = InspectResource.source(ctx.getHeaderString("X-Source"));
        String partId;
        try {
            partId = InspectResource.partId(ctx.getHeaderString("X-Part-Id"),
                    ctx.getUriInfo().getQueryParameters().getFirst("partId"), null);
        } catch (IllegalArgumentException e) {
            return InspectResource.error(400, e.getMessage());
        }
        boolean multipart = ctx.getMediaType() != null && ctx.getMediaType().isCompatible(MediaType.MULTIPART_FORM_DATA_TYPE);
        long max = config.get().api().maxImageBytes();
        long bodyMax = multipart ? max + InspectResource.MULTIPART_MARGIN : max;
        long declared = ctx.getLength();
        if (multipart && declared < 0) {
            return InspectResource.error(411, "a multipart upload to /api/v1/inspect needs a Content-Length header, so "
                    + "its size is checked before it is read; or send the image itself as the body");
        }
        if (declared > bodyMax) {
            // refused from its Content-Length, unread, and on the record like any unreadable image
            return InspectResource.refused(queue.get(), source, partId, "the request body is " + declared
                    + " bytes, over the limit of " + max + " bytes (kensa.api.max-image-bytes)");
        }
        // the body's bytes count against the image memory budget before they are read
        DecodeBudget.Lease held = queue.get().budget().tryAcquire(declared >= 0 ? declared : bodyMax);
        if (held == null) {
            return InspectResource.busy("image memory in use is at kensa.image.decode-budget-bytes: try again shortly");
        }
        hold.get().hold(held);
        return null;
    }
}
