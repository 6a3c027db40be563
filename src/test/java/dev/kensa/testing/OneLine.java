package dev.kensa.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Refusals are one line for the person at the terminal or the API caller. */
public final class OneLine {
    private OneLine() {
    }

    /** {@code message} is one line and contains every one of {@code parts}. */
    public static void assertOneLine(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected \"" + part + "\" in: " + message);
        }
        assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
    }
}
