package dev.kensa.daemon;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Inspections since the daemon started, by verdict, for the status API and page, which say since when
 * ({@link #since()}). They are not rebuilt from the journal: its history is bounded by retention, so a rebuilt count
 * would start at a moment nobody chose; the results list (GET /api/v1/results) serves that history instead.
 */
@ApplicationScoped
public class Counters {
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong ng = new AtomicLong();
    private final AtomicLong error = new AtomicLong();

    public void count(dev.kensa.verdict.Verdict verdict) {
        switch (verdict) {
            case OK -> ok.incrementAndGet();
            case NG -> ng.incrementAndGet();
            case ERROR -> error.incrementAndGet();
        }
    }

    public long ok() {
        return ok.get();
    }

    public long ng() {
        return ng.get();
    }

    public long error() {
        return error.get();
    }

    /** When counting began: the start of this daemon process. */
    public java.time.Instant since() {
        return java.time.Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime());
    }

    public long uptimeSeconds() {
        // the process's uptime, not this bean's: CDI creates it on first use
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
    }
}
