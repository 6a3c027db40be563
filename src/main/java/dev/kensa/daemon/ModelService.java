package dev.kensa.daemon;

import dev.kensa.KensaConfig;
import dev.kensa.model.ModelManager;
import dev.kensa.model.ModelStore;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.file.Path;

/**
 * The daemon's model lifecycle ({@link ModelManager}, plain Java) as a bean: {@code kensa serve} starts it, the HTTP
 * API swaps, rolls back and overrides through it, the inspection worker holds a model per batch. The box is ready
 * only while a model is active.
 */
@ApplicationScoped
public class ModelService {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ModelService.class);

    @Inject
    KensaConfig config;

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    private volatile ModelManager manager;

    /** Fired when {@link #start} has a model active, so checks that apply to one backend only (the GPU's) can join. */
    public record Started(ModelManager.Loaded model) {
    }

    @Inject
    jakarta.enterprise.event.Event<Started> started;

    /** Opens the model store and brings up its active model (or {@code configured}); see {@link ModelManager#start}. */
    public synchronized ModelManager.Loaded start(Path configured, boolean explicit, dev.kensa.gpu.Backends.Mode backend) {
        if (manager == null) {
            KensaConfig.Model m = config.model();
            java.security.PublicKey key = m.publicKey().map(dev.kensa.bundle.BundleSignature::readPublic).orElse(null);
            manager = new ModelManager(ModelStore.open(m.storeDir()), new ModelManager.Settings(key,
                    config.threads().orElse(Runtime.getRuntime().availableProcessors()), config.batchSize(),
                    m.maxUploadBytes(), m.maxFiles(), m.maxExtractedBytes(),
                    dev.kensa.gpu.Backends.Options.of(backend != null ? backend : config.backend(), config.cacheDir()),
                    qualityChecks()));
            ModelManager mm = manager;
            io.micrometer.core.instrument.FunctionCounter.builder("kensa.model.swaps", mm, ModelManager::swaps)
                    .description("model swaps and rollbacks done").register(meters);
            io.micrometer.core.instrument.FunctionCounter.builder("kensa.model.refusals", mm, ModelManager::refusals)
                    .description("model swaps, rollbacks and threshold changes refused").register(meters);
        }
        ModelManager.Loaded loaded = manager.start(configured, explicit);
        if (loaded == null) {
            LOG.warnf("not ready: %s", notReady());
        }
        started.fire(new Started(loaded));
        return loaded;
    }

    /** The image-quality checks {@code kensa.quality.disabled} leaves on. */
    public java.util.Set<dev.kensa.quality.QualityGate.Check> qualityChecks() {
        try {
            return dev.kensa.quality.QualityGate.enabledExcept(config.quality().disabled().orElse(java.util.List.of()));
        } catch (IllegalArgumentException e) {
            throw new dev.kensa.KensaException("kensa.quality.disabled: " + e.getMessage());
        }
    }

    /**
     * Why the box is not ready for lack of a model, and how to install one, in words (readiness, status, log); null
     * while a model is active.
     */
    public String notReady() {
        ModelManager m = manager;
        if (m == null) {
            return "starting: the model store is not open yet";
        }
        String why = m.unavailable();
        if (why == null) {
            return m.active() == null ? "no model loaded" : null;
        }
        String how = config.api().tokenFile().isPresent()
                ? "upload a bundle zip with PUT /api/v1/model and the API token"
                : "set kensa.api.token-file and upload a bundle zip with PUT /api/v1/model (without a token that "
                + "endpoint answers 403)";
        return why + ". To install a model: " + how + ", or set kensa.model.dir and restart (README: Deploy to a box)";
    }

    /** Null until {@code kensa serve} has started it. */
    public ModelManager manager() {
        return manager;
    }

    public ModelManager.Loaded active() {
        ModelManager m = manager;
        return m == null ? null : m.active();
    }

    /** The active model held for one batch; release it when done. Null when none is loaded. */
    public ModelManager.Loaded acquire() {
        ModelManager m = manager;
        return m == null ? null : m.acquire();
    }

    // after the sources and the inspection worker (priority 1000), before the journal closes
    void onStop(@Observes @Priority(1500) ShutdownEvent e) {
        ModelManager m = manager;
        if (m != null) {
            m.close();
        }
    }
}
