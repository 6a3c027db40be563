package dev.kensa.publish;

/**
 * What the {@link ResultPublisher} keeps on the retained {@code status} topic (../shared/DESIGN.md §6): the daemon's
 * status message, serialised as JSON as it is.
 */
public interface RetainedStatus {
    /** online or degraded; null is taken as online. */
    String state();

    /** The same status saying {@code state} instead (the goodbye says offline). */
    RetainedStatus saying(String state);
}
