package dev.kensa.daemon;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicLong;

/** Inspections since start, by verdict, for the status API and page. */
@ApplicationScoped
public class Counters {
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong ng = new AtomicLong();
    private final AtomicLong error = new AtomicLong();

    public void count(String verdict) {
        switch (verdict) {
            case "OK" -> ok.incrementAndGet();
            case "NG" -> ng.incrementAndGet();
            default -> error.incrementAndGet();
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

    public long uptimeSeconds() {
        // the process's uptime, not this bean's: CDI creates it on first use
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
    }
}
