package dev.kensa.source;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * Runs a source's loop on its own thread and restarts it when it ends for any reason (an exception, an
 * {@link Error} such as {@link OutOfMemoryError}, a thread stopped from outside), so a source never stops silently.
 * A supervising thread waits for the worker and restarts it after a back-off (0.5 s doubling to 10 s while it keeps
 * dying, back to 0.5 s once it has run a minute). While it is down, {@link #status()} says so, in words, with the
 * reason; readiness, {@code /api/v1/status}, the MQTT status and the status page show that.
 */
public final class SourceWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SourceWorker.class);
    static final long FIRST_DELAY_MS = 500;
    static final long MAX_DELAY_MS = 10_000;
    private static final long HEALTHY_RUN_MS = 60_000;

    /** A source's loop: runs until the thread is interrupted (then returns or throws InterruptedException). */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** What a person needs to know about a source worker. */
    @JsonPropertyOrder({"state", "words", "restarts", "lastFailure", "lastFailureAt"})
    public record Status(String state, String words, long restarts, String lastFailure, String lastFailureAt) {
        @JsonIgnore
        public boolean up() {
            return !"down".equals(state);
        }
    }

    private final String name;
    private final String label;
    private final Body body;
    private final Runnable onChange;
    private final Thread supervisor;
    private volatile boolean running;
    private volatile Thread worker;
    private volatile Throwable failure;
    private volatile boolean down;
    private volatile long downSinceMs;
    private volatile long nextStartMs;
    private volatile long restarts;
    private volatile String lastFailure;
    private volatile Instant lastFailureAt;

    /**
     * @param name     the worker thread's name (e.g. kensa-hot-folder)
     * @param label    what it is, for people (e.g. "hot folder /srv/incoming")
     * @param onChange called (on the supervising thread) when the worker goes down or comes back
     */
    public SourceWorker(String name, String label, Body body, Runnable onChange) {
        this.name = name;
        this.label = label;
        this.body = body;
        this.onChange = onChange;
        this.supervisor = new Thread(this::supervise, name + "-supervisor");
        supervisor.setDaemon(true);
    }

    public SourceWorker start() {
        running = true;
        supervisor.start();
        return this;
    }

    public boolean isUp() {
        return !down;
    }

    public long restarts() {
        return restarts;
    }

    public Status status() {
        if (!running) {
            return new Status("stopped", label + ": stopped", restarts, lastFailure, iso(lastFailureAt));
        }
        if (down) {
            long in = Math.max(0, nextStartMs - System.currentTimeMillis());
            String words = label + ": DOWN since " + Instant.ofEpochMilli(downSinceMs) + " (" + lastFailure
                    + "); restart " + (restarts + 1) + " in " + Math.max(1, (in + 999) / 1000) + " s";
            return new Status("down", words, restarts, lastFailure, iso(lastFailureAt));
        }
        String words = label + ": running" + (restarts > 0 ? ", restarted " + restarts + "x, last after "
                + lastFailure + " at " + lastFailureAt : "");
        return new Status("running", words, restarts, lastFailure, iso(lastFailureAt));
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }

    private void supervise() {
        long delay = FIRST_DELAY_MS;
        while (running) {
            failure = null;
            Thread t = new Thread(this::runBody, name);
            t.setDaemon(true);
            worker = t;
            long started = System.currentTimeMillis();
            t.start();
            if (down) {
                down = false;
                LOG.infof("%s: running again (restart %d)", label, restarts);
                changed();
            }
            try {
                t.join();
            } catch (InterruptedException e) {
                break; // close()
            }
            if (!running) {
                break;
            }
            // the worker ended while it should run: whatever the reason, say so and restart it
            Throwable why = failure;
            lastFailure = why == null ? "the worker ended without an exception" : describe(why);
            lastFailureAt = Instant.now();
            if (System.currentTimeMillis() - started >= HEALTHY_RUN_MS) {
                delay = FIRST_DELAY_MS;
            }
            downSinceMs = System.currentTimeMillis();
            nextStartMs = downSinceMs + delay;
            down = true;
            LOG.errorf(why, "%s: worker died (%s); restarting in %d ms", label, lastFailure, delay);
            changed();
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                break;
            }
            restarts++;
            delay = Math.min(MAX_DELAY_MS, delay * 2);
        }
    }

    private void runBody() {
        try {
            body.run();
        } catch (InterruptedException e) {
            // stopping
        } catch (Throwable t) {
            failure = t; // only a reference store: under OutOfMemoryError the supervisor formats it
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    private void changed() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            LOG.warnf("%s: status listener failed: %s", label, e.toString());
        }
    }

    /** Stops the worker (interrupts it) and the supervisor; waits up to 5 s. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        supervisor.interrupt();
        Thread w = worker;
        if (w != null) {
            w.interrupt();
            w.join(5000);
        }
        supervisor.join(5000);
    }
}
