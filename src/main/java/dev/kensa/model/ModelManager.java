package dev.kensa.model;

import dev.kensa.KensaException;
import dev.kensa.bundle.BundleException;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.SelfTest;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The model lifecycle of a running box (../shared/DESIGN.md §8): the active model, hot swap, rollback and threshold override,
 * persisted in a {@link ModelStore}. Any failure leaves the running model untouched and says why; a swap commits by
 * one atomic rename of the store's state, so a kill at any step leaves the old or the new model active on restart.
 * <p>
 * Inspections hold a model with {@link #acquire()} / {@link Loaded#release()}; a model that is swapped out is
 * closed only when its last inspection is done, so nothing in flight fails because of a swap.
 */
public final class ModelManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);

    /** The steps of a swap, in order; {@link #observeSteps} watches them. */
    public enum Step { RECEIVED, EXTRACTED, VERIFIED, INSTALLED, LOADED, COMMITTED }

    /** Nobody watches the steps of a swap in the product; see {@link #observeSteps}. */
    private static volatile Consumer<Step> stepObserver = step -> { };

    /**
     * Who is told each step a swap reaches, on the swapping thread, before it goes on. The product sets none; the
     * crash tests' Java agent sets one that holds the swap at a step while the test kills the process there.
     */
    public static void observeSteps(Consumer<Step> observer) {
        stepObserver = observer != null ? observer : step -> { };
    }

    /**
     * @param publicKey        when set, bundles must carry a valid Ed25519 signature by it
     * @param maxUploadBytes   largest accepted upload (zip bytes)
     * @param maxFiles         most entries in an uploaded zip
     * @param maxExtractedBytes most bytes an uploaded zip may expand to
     * @param backend          {@code kensa.backend} and {@code kensa.cache-dir} for every model load
     * @param qualityChecks    the image-quality checks switched on ({@code kensa.quality.disabled} switches some off)
     */
    public record Settings(PublicKey publicKey, int threads, int batchSize, long maxUploadBytes, int maxFiles,
                           long maxExtractedBytes, dev.kensa.gpu.Backends.Options backend,
                           java.util.Set<dev.kensa.quality.QualityGate.Check> qualityChecks) {
        public Settings {
            backend = backend != null ? backend : dev.kensa.gpu.Backends.Options.defaults();
            qualityChecks = qualityChecks != null ? java.util.Set.copyOf(qualityChecks)
                    : java.util.EnumSet.allOf(dev.kensa.quality.QualityGate.Check.class);
        }

        /** Every image-quality check on. */
        public Settings(PublicKey publicKey, int threads, int batchSize, long maxUploadBytes, int maxFiles,
                        long maxExtractedBytes, dev.kensa.gpu.Backends.Options backend) {
            this(publicKey, threads, batchSize, maxUploadBytes, maxFiles, maxExtractedBytes, backend, null);
        }
    }

    /** A loaded, self-tested model. Closed once it is no longer active and its last user has released it. */
    public final class Loaded {
        private final ModelBundle bundle;
        private final Inspector inspector;
        private final String name;
        private final Instant loadedAt;
        private final double loadSeconds;
        private final SelfTest.Result selfTest;
        private final String backend;
        private final Holders holders;

        private Loaded(ModelBundle bundle, Inspector inspector, String name, double loadSeconds, SelfTest.Result selfTest) {
            this.bundle = bundle;
            this.inspector = inspector;
            this.name = name;
            this.loadedAt = Instant.now();
            this.loadSeconds = loadSeconds;
            this.selfTest = selfTest;
            this.backend = inspector.describeBackend();
            this.holders = new Holders(() -> {
                inspector.close();
                LOG.debugf("model %s closed", bundle.id());
            });
        }

        public ModelBundle bundle() {
            return bundle;
        }

        public Inspector inspector() {
            return inspector;
        }

        /** Its directory name in the store. */
        public String name() {
            return name;
        }

        public Instant loadedAt() {
            return loadedAt;
        }

        public double loadSeconds() {
            return loadSeconds;
        }

        public SelfTest.Result selfTest() {
            return selfTest;
        }

        public String backend() {
            return backend;
        }

        /** Ends one {@link #acquire()}. */
        public void release() {
            holders.release();
        }

        private void retire() {
            holders.retire();
        }

        public ModelEvent.ModelRef ref() {
            return new ModelEvent.ModelRef(bundle.id(), bundle.manifest().name(), bundle.sha256(), bundle.method());
        }
    }

    /** A swap, rollback or threshold change that was refused; the running model is unchanged. */
    public static final class Refused extends KensaException {
        /** Why, in kinds a caller can act on (the HTTP layer maps them to status codes); the message says it in words. */
        public enum Reason {
            /** The request itself is wrong, e.g. a threshold that is not a positive number. */
            BAD_REQUEST,
            /** Another model change is in progress. */
            BUSY,
            /** The state does not allow it: the bundle is already active, no previous model, no model loaded. */
            CONFLICT,
            /** The upload is larger than {@code kensa.model.max-upload-bytes}. */
            TOO_LARGE,
            /** The bundle (or the previous one) fails its checks: zip, checksums, signature, load, self-test. */
            BUNDLE_REFUSED,
            /** The model store could not be written. */
            STORE_FAILED
        }

        private final Reason reason;

        public Refused(Reason reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private final ModelStore store;
    private final Settings settings;
    /** Guards reading {@link #active} together with holding it, against the switch in {@link #activate}. */
    private final Object switching = new Object();
    private final ReentrantLock changes = new ReentrantLock();
    private final ModelEventLog events;
    private volatile Loaded active;
    private volatile ModelEvent.Refusal lastRefusal;
    private volatile String unavailable;
    private volatile long swaps; // written under the changes lock
    private final LongAdder refusals = new LongAdder(); // refusals come without the lock (e.g. "busy")

    public ModelManager(ModelStore store, Settings settings) {
        this.store = store;
        this.settings = settings;
        this.events = new ModelEventLog(store);
    }

    public ModelStore store() {
        return store;
    }

    /** Where model events (load, swap, rollback, refusal) go, e.g. MQTT {@code model/event}; earlier ones are replayed. */
    public void events(Consumer<ModelEvent> sink) {
        events.sink(sink);
    }

    public Loaded active() {
        return active;
    }

    /** The active model, held until {@link Loaded#release()}; null when none is loaded. */
    public Loaded acquire() {
        synchronized (switching) {
            Loaded a = active;
            if (a != null) {
                a.holders.hold();
            }
            return a;
        }
    }

    public long swaps() {
        return swaps;
    }

    public long refusals() {
        return refusals.sum();
    }

    public ModelEvent.Refusal lastRefusal() {
        return lastRefusal;
    }

    // ---------------------------------------------------------------- start

    /**
     * Brings the box up with a model: the store's active one (the choice survives restarts), else its previous one,
     * else {@code configured} (installed into the store). With {@code explicit}, {@code configured} (e.g.
     * {@code serve --model}) is installed and made active even when the store has another; that one is kept as the
     * previous model (rollback brings it back) and the replacement is logged as a warning and in the audit log.
     * <p>
     * When no model can be brought up (an empty store and nothing configured, or every candidate refused) the box
     * still comes up, without a model: this returns null and {@link #unavailable()} says why in words, naming each
     * refused bundle and its reason. Only an explicit model that fails is an error (thrown).
     */
    public Loaded start(Path configured, boolean explicit) {
        changes.lock();
        try {
            ModelStore.State s = store.state();
            List<String> refused = new ArrayList<>();
            if (!explicit && s.active() != null) {
                Loaded l = tryLoadStored(s.active(), "active", refused);
                if (l != null) {
                    activate(l, "load", null, null);
                    if (configured != null) {
                        LOG.infof("serving %s from the model store %s (the last swap wins over kensa.model.dir %s)",
                                l.bundle.id(), store.root(), configured);
                    }
                    store.collectGarbage();
                    return l;
                }
                if (s.previous() != null) {
                    l = tryLoadStored(s.previous(), "previous", refused);
                    if (l != null) {
                        store.commit(new ModelStore.State(s.previous(), null, s.overrides()));
                        activate(l, "load", null, refused.get(0) + "; its previous model is active");
                        store.collectGarbage();
                        return l;
                    }
                }
            }
            if (configured == null) {
                return none(refused.isEmpty()
                        ? "no model installed: the model store " + store.root().toAbsolutePath()
                        + " is empty and kensa.model.dir is not set"
                        : "no model loads: " + String.join("; ", refused) + ", and kensa.model.dir is not set");
            }
            Loaded l;
            try {
                l = installFrom(configured);
            } catch (RuntimeException e) {
                if (explicit) {
                    throw e;
                }
                refused.add("kensa.model.dir " + configured + " was refused: " + e.getMessage());
                return none("no model loads: " + String.join("; ", refused));
            }
            ModelStore.State now = store.state();
            String replaced = now.active() != null && !now.active().equals(l.name) ? now.active() : null;
            String previous = replaced != null ? replaced : now.previous();
            store.commit(new ModelStore.State(l.name, previous, now.overrides()));
            applyOverride(l);
            String note = null;
            if (explicit && replaced != null) {
                // a restart with --model must not silently undo a hot swap: say so where people look
                note = "serve --model " + configured + " replaced the model store's active model " + describeStored(replaced)
                        + "; it is kept as the previous model (POST /api/v1/model/rollback brings it back)";
                LOG.warnf("REPLACING THE ACTIVE MODEL: %s. To keep the store's active model, start kensa serve without --model.",
                        note);
            }
            activate(l, "load", null, note);
            store.collectGarbage();
            return l;
        } finally {
            changes.unlock();
        }
    }

    /** Why no model is active (in words, naming refused bundles), or null while one is. */
    public String unavailable() {
        return unavailable;
    }

    private Loaded none(String reason) {
        unavailable = reason;
        events.recordQuietly(new ModelEvent.NoModel(Instant.now().toString(), reason));
        return null;
    }

    private Loaded tryLoadStored(String name, String role, List<String> refused) {
        try {
            Loaded l = load(store.bundleDir(name), name);
            applyOverride(l);
            return l;
        } catch (RuntimeException e) {
            String why = "the " + role + " model " + describeStored(name) + " was refused: " + e.getMessage();
            LOG.errorf("%s", why);
            refused.add(why);
            return null;
        }
    }

    /** "bundle-id (store bundles/name)", or just the store path when its manifest cannot be read. */
    private String describeStored(String name) {
        Path dir = store.bundleDir(name);
        try {
            return BundleReader.readManifest(dir).id() + " (" + dir + ")";
        } catch (RuntimeException e) {
            return dir.toString();
        }
    }

    /** Copies a bundle directory or zip into the store (verified first), then loads it. */
    private Loaded installFrom(Path source) {
        ModelBundle checked = BundleReader.read(source, settings.publicKey());
        Path staging = store.newStagingDir();
        try {
            Path dir = staging.resolve("bundle");
            if (Files.isDirectory(source)) {
                copyTree(source, dir);
            } else {
                dev.kensa.bundle.SafeUnzip.extract(source, dir, settings.maxFiles(), settings.maxExtractedBytes());
            }
            Path installed = store.install(dir, checked.sha256());
            return load(installed, installed.getFileName().toString());
        } finally {
            deleteQuietly(staging);
        }
    }

    // ---------------------------------------------------------------- swap

    /**
     * Hot swap from an uploaded bundle zip (../shared/DESIGN.md §8): bounded upload into staging, safe extraction, checksums and
     * signature, backend load, warm-up and self-test, then the atomic switch. The previous model is kept for rollback.
     *
     * @throws Refused with the reason; the running model is unchanged
     */
    public Loaded swap(InputStream upload, String by) {
        if (!changes.tryLock()) {
            throw refuse(Refused.Reason.BUSY, "another model change is in progress; try again when it is done", null, by, null);
        }
        Path staging = null;
        Loaded next = null;
        boolean committed = false;
        try {
            long t0 = System.nanoTime();
            staging = store.newStagingDir();
            Path zip = staging.resolve("upload.zip");
            long bytes = ModelStore.receive(upload, zip, settings.maxUploadBytes());
            reached(Step.RECEIVED);
            Path dir = staging.resolve("bundle");
            dev.kensa.bundle.SafeUnzip.extract(zip, dir, settings.maxFiles(), settings.maxExtractedBytes());
            Files.delete(zip);
            reached(Step.EXTRACTED);
            ModelBundle checked = BundleReader.read(dir, settings.publicKey());
            Loaded current = active;
            if (current != null && current.bundle.sha256().equals(checked.sha256())) {
                throw new Refused(Refused.Reason.CONFLICT, "bundle " + checked.id() + " (sha256 " + checked.sha256().substring(0, 12)
                        + ") is already active", null);
            }
            reached(Step.VERIFIED);
            Path installed = store.install(dir, checked.sha256());
            reached(Step.INSTALLED);
            next = load(installed, installed.getFileName().toString());
            applyOverride(next);
            reached(Step.LOADED);
            ModelStore.State s = store.state();
            store.commit(new ModelStore.State(next.name, current != null ? current.name : s.active(), s.overrides()));
            committed = true;
            reached(Step.COMMITTED);
            activate(next, "swap", by, null);
            swaps++;
            store.collectGarbage();
            LOG.infof("swap done in %.1f s (%d bytes uploaded)", (System.nanoTime() - t0) / 1e9, bytes);
            return next;
        } catch (ModelStore.UploadTooLargeException e) {
            throw refuse(Refused.Reason.TOO_LARGE, e.getMessage(), e, by, null);
        } catch (Refused e) {
            throw refuse(e.reason(), e.getMessage(), e, by, null);
        } catch (IOException | RuntimeException e) { // BundleException included: checksum, signature, zip, self-test
            throw refuse(Refused.Reason.BUNDLE_REFUSED, "bundle refused: " + e.getMessage(), e, by, null);
        } finally {
            if (!committed) {
                if (next != null) {
                    next.retire();
                }
                forgetUnreferenced();
            }
            if (staging != null) {
                deleteQuietly(staging);
            }
            changes.unlock();
        }
    }

    /** Back to the previous model (kept in the store), loaded and self-tested again before the switch. */
    public Loaded rollback(String by) {
        if (!changes.tryLock()) {
            throw refuse(Refused.Reason.BUSY, "another model change is in progress; try again when it is done", null, by,
                    "rollback");
        }
        try {
            ModelStore.State s = store.state();
            if (s.previous() == null) {
                throw refuse(Refused.Reason.CONFLICT, "no previous model to roll back to", null, by, "rollback");
            }
            Loaded next;
            try {
                next = load(store.bundleDir(s.previous()), s.previous());
            } catch (RuntimeException e) {
                throw refuse(Refused.Reason.BUNDLE_REFUSED, "the previous model " + s.previous() + " does not load: "
                        + e.getMessage(), e, by, "rollback");
            }
            applyOverride(next);
            try {
                store.commit(new ModelStore.State(s.previous(), s.active(), s.overrides()));
            } catch (RuntimeException e) {
                next.retire();
                throw refuse(Refused.Reason.STORE_FAILED, e.getMessage(), e, by, "rollback");
            }
            activate(next, "rollback", by, null);
            swaps++;
            return next;
        } finally {
            changes.unlock();
        }
    }

    // ---------------------------------------------------------------- threshold

    /**
     * Sets (or with null clears) the image threshold override of the active model, persisted with who/when and
     * audited. The bundle is not changed; the override belongs to this bundle's sha256 and is not carried to another.
     */
    public ModelStore.ThresholdOverride overrideThreshold(Double value, String by, String reason) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            throw new Refused(Refused.Reason.BAD_REQUEST, "threshold must be a positive number, not " + value, null);
        }
        changes.lock();
        try {
            Loaded a = active;
            if (a == null) {
                throw new Refused(Refused.Reason.CONFLICT, "no model is loaded", null);
            }
            String sha = a.bundle.sha256();
            ModelStore.ThresholdOverride before = store.state().overrides().get(sha);
            ModelStore.ThresholdOverride o = value == null ? null
                    : new ModelStore.ThresholdOverride(value, by, Instant.now().toString(), reason);
            store.commit(store.state().withOverride(sha, o));
            a.inspector.overrideThreshold(value);
            ModelEvent audit = new ModelEvent.ThresholdChange(Instant.now().toString(),
                    value == null ? "threshold-cleared" : "threshold-override", by, a.ref(), a.bundle.imageThreshold(),
                    before != null ? before.value() : a.bundle.imageThreshold(),
                    value != null ? value : a.bundle.imageThreshold(), reason);
            events.record(audit);
            LOG.infof("image threshold of %s %s by %s", a.bundle.id(),
                    value == null ? "back to the bundle's " + a.bundle.imageThreshold() : "overridden to " + value, by);
            return o;
        } finally {
            changes.unlock();
        }
    }

    public ModelStore.ThresholdOverride thresholdOverride(Loaded l) {
        return l == null ? null : store.state().overrides().get(l.bundle.sha256());
    }

    // ---------------------------------------------------------------- internals

    private Loaded load(Path dir, String name) {
        long t0 = System.nanoTime();
        ModelBundle bundle = BundleReader.read(dir, settings.publicKey());
        Inspector inspector;
        try {
            inspector = dev.kensa.pipeline.Inspectors.open(bundle, settings.threads(), settings.batchSize(), settings.backend(),
                    settings.qualityChecks());
        } catch (RuntimeException | LinkageError e) {
            throw new KensaException("backbone of " + bundle.id() + " does not load: " + e.getMessage(), e);
        }
        SelfTest.Result check;
        try {
            check = SelfTest.run(bundle, inspector); // also the warm-up: the first batch pays the runtime's set-up
        } catch (RuntimeException e) {
            inspector.close();
            throw e;
        }
        if (!check.passed()) {
            inspector.close();
            throw new KensaException("bundle " + bundle.id() + " failed its self-test: " + check.summary().replace('\n', ' '));
        }
        return new Loaded(bundle, inspector, name, (System.nanoTime() - t0) / 1e9, check);
    }

    private void applyOverride(Loaded l) {
        ModelStore.ThresholdOverride o = store.state().overrides().get(l.bundle.sha256());
        l.inspector.overrideThreshold(o != null ? o.value() : null);
    }

    /** The in-memory switch: new inspections get {@code next}; the old model closes when its last one is done. */
    private void activate(Loaded next, String event, String by, String note) {
        Loaded previous;
        synchronized (switching) {
            previous = active;
            active = next;
        }
        unavailable = null;
        if (previous != null) {
            previous.retire();
        }
        ModelEvent e = new ModelEvent.Activated(Instant.now().toString(), event, next.ref(),
                previous != null ? previous.ref() : null, by, next.inspector.threshold(),
                next.inspector.thresholdInForce().source(), Math.round(next.loadSeconds * 100) / 100.0, next.backend, note);
        events.record(e);
        LOG.infof("model %s (sha256 %s) active after %s: loaded and self-tested in %.1f s, backend %s", next.bundle.id(),
                next.bundle.sha256().substring(0, 12), event, next.loadSeconds, next.backend);
    }

    private Refused refuse(Refused.Reason kind, String reason, Throwable cause, String by, String what) {
        refusals.increment();
        Loaded a = active;
        ModelEvent.Refusal e = new ModelEvent.Refusal(Instant.now().toString(), what != null ? what : "swap", reason, by,
                a != null ? a.ref() : null);
        lastRefusal = e;
        events.recordQuietly(e);
        LOG.warnf("model %s refused: %s", what != null ? what : "swap", reason);
        return cause instanceof Refused r && r.getMessage().equals(reason) && r.reason() == kind ? r
                : new Refused(kind, reason, cause);
    }

    private void forgetUnreferenced() {
        try {
            store.collectGarbage();
        } catch (RuntimeException e) {
            LOG.warnf("model store clean-up: %s", e.getMessage());
        }
    }

    private static void reached(Step step) {
        stepObserver.accept(step);
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isSymbolicLink(p)) {
                    throw new BundleException("bundle " + from + ": " + from.relativize(p) + " is a symlink");
                }
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        } catch (IOException e) {
            throw new KensaException("cannot copy bundle " + from + " into the model store: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            dev.kensa.util.FileTrees.delete(p);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", p, e.getMessage());
        }
    }

    /** Closes the active model (at shutdown; in-flight inspections are done by then). */
    @Override
    public void close() {
        Loaded a;
        synchronized (switching) {
            a = active;
            active = null;
        }
        if (a != null) {
            a.retire();
        }
    }
}
