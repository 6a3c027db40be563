package dev.kensa.model;

/**
 * Counts the inspections that hold one loaded model and closes it once it is retired (no longer active) and the last
 * of them has let go: a swap never closes a model under an inspection in flight.
 */
final class Holders {
    private final Runnable close;
    private int users;
    private boolean retired;
    private boolean closed;

    /** @param close what frees the model (its inspector); run once, by whoever lets go last */
    Holders(Runnable close) {
        this.close = close;
    }

    synchronized void hold() {
        users++;
    }

    synchronized void release() {
        users--;
        closeIfUnused();
    }

    /** No new holders will come (the caller saw to that); closes now if nobody holds it. */
    synchronized void retire() {
        retired = true;
        closeIfUnused();
    }

    synchronized boolean closed() {
        return closed;
    }

    private void closeIfUnused() {
        if (retired && users == 0 && !closed) {
            closed = true;
            close.run();
        }
    }
}
