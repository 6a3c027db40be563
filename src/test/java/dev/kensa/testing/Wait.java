package dev.kensa.testing;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** Waits of the daemon tests: a probe polled until it shows what is awaited, with a deadline (Awaitility). */
public final class Wait {
    private Wait() {
    }

    /**
     * Polls {@code probe} every {@code every} until {@code done} holds for what it returned, and returns that.
     *
     * @throws AssertionError after {@code atMost}, naming what was awaited and what the probe saw last
     */
    public static <T> T until(String what, Duration atMost, Duration every, Callable<T> probe, Predicate<? super T> done) {
        AtomicReference<T> last = new AtomicReference<>();
        try {
            return Awaitility.await(what).atMost(atMost).pollDelay(Duration.ZERO).pollInterval(every).until(() -> {
                T v = probe.call();
                last.set(v);
                return v;
            }, done::test);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(what + ": not within " + atMost + "; last seen: " + last.get(), e);
        }
    }
}
