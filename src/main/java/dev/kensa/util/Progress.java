package dev.kensa.util;

import java.io.PrintStream;

/**
 * A progress bar for long work on stderr: redrawn in place on a terminal, a line every 10 % otherwise (logs,
 * CI). Never writes to stdout, which carries results.
 */
public final class Progress {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long done;
    private int lastDecile = -1;
    private long lastDraw;

    public Progress(String label, long total) {
        this(label, total, System.err, System.console() != null);
    }

    Progress(String label, long total, PrintStream out, boolean interactive) {
        this.label = label;
        this.total = Math.max(1, total);
        this.out = out;
        this.interactive = interactive;
    }

    /** A progress that prints nothing. */
    public static Progress silent(long total) {
        return new Progress("", total, new PrintStream(PrintStream.nullOutputStream()), false);
    }

    public synchronized void advance(long n) {
        done = Math.min(total, done + n);
        long now = System.nanoTime();
        if (interactive) {
            if (now - lastDraw > 100_000_000L || done == total) {
                lastDraw = now;
                int width = 30;
                int filled = (int) (width * done / total);
                out.printf("\r%-12s [%s%s] %d/%d %s", label, "#".repeat(filled), " ".repeat(width - filled), done, total, eta(now));
                if (done == total) {
                    out.println();
                }
                out.flush();
            }
        } else {
            int decile = (int) (10 * done / total);
            if (decile != lastDecile && (decile > lastDecile)) {
                lastDecile = decile;
                out.printf("%s: %d/%d (%d%%) %s%n", label, done, total, 100 * done / total, eta(now));
            }
        }
    }

    private String eta(long now) {
        double elapsed = (now - start) / 1e9;
        if (done == total) {
            return String.format("%.1fs", elapsed);
        }
        if (done == 0) {
            return "";
        }
        return String.format("%.1fs, eta %.0fs", elapsed, elapsed / done * (total - done));
    }
}
