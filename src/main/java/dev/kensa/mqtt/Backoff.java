package dev.kensa.mqtt;

import org.jboss.logging.Logger;

/**
 * The retry pace of the MQTT loops (connection, publisher, a subscription's handler): the first failure is said
 * once, then each retry waits twice as long as the last, from 200 ms up to 5 s, until something succeeds.
 */
public final class Backoff {
    public static final long MIN_MS = 200;
    public static final long MAX_MS = 5_000;

    private long nextMs = MIN_MS;
    private boolean failing;

    /** A failure: true for the first since the last success (the one to tell people about). */
    public boolean failed() {
        boolean first = !failing;
        failing = true;
        return first;
    }

    /** Waits before the next try, longer each time. */
    public void pause() throws InterruptedException {
        Thread.sleep(nextMs);
        nextMs = Math.min(nextMs * 2, MAX_MS);
    }

    /**
     * A failure, said at WARN the first time since the last success and at DEBUG after, then the wait before the next
     * try; false when interrupted meanwhile (the interrupt is kept).
     */
    public boolean retry(Logger log, String failure) {
        if (failed()) {
            log.warn(failure);
        } else {
            log.debug(failure);
        }
        try {
            pause();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A success: true when it ends a run of failures (the recovery to tell people about). */
    public boolean succeeded() {
        boolean recovered = failing;
        failing = false;
        nextMs = MIN_MS;
        return recovered;
    }
}
