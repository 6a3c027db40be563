package dev.kensa.daemon;

import dev.kensa.image.ImageHeader;
import dev.kensa.image.ImageLimits;

/**
 * How much image memory the daemon holds at once, across every source: the encoded bytes of each image from the
 * moment a source reads it until its result is journalled, plus the 8-bit BGR image it decodes to (3 bytes per
 * pixel, from the header). A source asks before it reads; when the budget is spent, HTTP answers 503 with
 * {@code Retry-After} and the hot folder and MQTT wait. One image larger than the whole budget is let in alone, so
 * a limit set below the largest allowed image slows the line down instead of refusing parts.
 */
public final class DecodeBudget {
    private final long capacity;
    private long used;

    public DecodeBudget(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("kensa.image.decode-budget-bytes must be positive, got " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /** The encoded bytes plus what they decode to, when the header is readable and within limits. */
    public static long cost(byte[] encoded) {
        long c = encoded.length;
        try {
            ImageHeader h = ImageHeader.read(encoded);
            ImageLimits.check(h);
            c += ImageLimits.decodedBytes(h);
        } catch (RuntimeException refusedAnyway) {
            // not decoded: the pipeline refuses it from the same header, so only its bytes are held
        }
        return c;
    }

    public long capacity() {
        return capacity;
    }

    public synchronized long used() {
        return used;
    }

    /** A lease of {@code bytes}, or null when it does not fit now. */
    public synchronized Lease tryAcquire(long bytes) {
        if (!fits(bytes, 0)) {
            return null;
        }
        used += bytes;
        return new Lease(bytes);
    }

    /** Waits until {@code bytes} fit. */
    public synchronized Lease acquire(long bytes) throws InterruptedException {
        while (!fits(bytes, 0)) {
            wait();
        }
        used += bytes;
        return new Lease(bytes);
    }

    private boolean fits(long bytes, long own) {
        return used + bytes <= capacity || used == own;
    }

    private synchronized boolean growLease(Lease l, long total, boolean waitForIt) throws InterruptedException {
        while (total > l.bytes && !fits(total - l.bytes, l.bytes)) {
            if (!waitForIt || l.closed) {
                return false;
            }
            wait();
        }
        if (total > l.bytes && !l.closed) {
            used += total - l.bytes;
            l.bytes = total;
        }
        return true;
    }

    private synchronized void release(Lease l) {
        if (!l.closed) {
            l.closed = true;
            used -= l.bytes;
            l.bytes = 0;
            notifyAll();
        }
    }

    /**
     * Bytes held for one image; close when its result is journalled (or it is refused). Closing twice is harmless.
     * Its fields are guarded by the budget's lock.
     */
    public final class Lease implements AutoCloseable {
        private long bytes;
        private boolean closed;

        private Lease(long bytes) {
            this.bytes = bytes;
        }

        public long bytes() {
            synchronized (DecodeBudget.this) {
                return bytes;
            }
        }

        /** Grows the lease to at least {@code total} bytes if that fits now; false (unchanged) otherwise. */
        public boolean tryGrowTo(long total) {
            try {
                return growLease(this, total, false);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e); // not reached: does not wait
            }
        }

        /** Grows the lease to at least {@code total} bytes, waiting for room. */
        public void growTo(long total) throws InterruptedException {
            growLease(this, total, true);
        }

        @Override
        public void close() {
            release(this);
        }
    }
}
