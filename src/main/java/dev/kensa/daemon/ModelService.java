package dev.kensa.daemon;

import dev.kensa.KensaException;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.SelfTest;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Instant;

/**
 * The daemon's active model: a loaded bundle with its inspector, self-tested before it is used. The box is ready
 * only while a model is active.
 */
@ApplicationScoped
public class ModelService {
    private static final Logger LOG = Logger.getLogger(ModelService.class);

    /** What is serving now; replaced as a whole. */
    public record Active(ModelBundle bundle, Inspector inspector, Instant loadedAt, double loadSeconds,
                         SelfTest.Result selfTest) {
    }

    private volatile Active active;

    /** Loads, warms up and self-tests a bundle, then makes it active; on any failure nothing changes. */
    public synchronized Active activate(Path bundleDir, java.security.PublicKey publicKey, int threads, int batchSize) {
        long t0 = System.nanoTime();
        ModelBundle bundle = BundleReader.read(bundleDir, publicKey);
        Inspector inspector = Inspector.open(bundle, threads, batchSize);
        SelfTest.Result check;
        try {
            check = SelfTest.run(bundle, inspector);
        } catch (RuntimeException e) {
            inspector.close();
            throw e;
        }
        if (!check.passed()) {
            inspector.close();
            throw new KensaException("bundle " + bundle.id() + " failed its self-test: " + check.summary().replace('\n', ' '));
        }
        Active next = new Active(bundle, inspector, Instant.now(), (System.nanoTime() - t0) / 1e9, check);
        Active previous = active;
        active = next;
        if (previous != null) {
            previous.inspector().close();
        }
        LOG.infof("model %s (sha256 %s) active: loaded and self-tested in %.1f s, backend %s", bundle.id(),
                bundle.sha256().substring(0, 12), next.loadSeconds(), inspector.describeBackend());
        return next;
    }

    public Active active() {
        return active;
    }
}
