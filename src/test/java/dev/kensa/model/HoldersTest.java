package dev.kensa.model;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A swapped-out model closes when its last inspection lets go, once, and never under one. */
class HoldersTest {
    @Test
    void closesOnceWhenRetiredAndTheLastHolderLetsGo() {
        AtomicInteger closed = new AtomicInteger();
        Holders h = new Holders(closed::incrementAndGet);
        h.hold();
        h.hold();
        h.retire();
        assertFalse(h.closed(), "two inspections still hold it");
        h.release();
        assertEquals(0, closed.get());
        h.release();
        assertTrue(h.closed());
        assertEquals(1, closed.get());
        h.retire();
        assertEquals(1, closed.get(), "closed once");
    }

    @Test
    void anActiveModelStaysOpenWithoutHolders() {
        AtomicInteger closed = new AtomicInteger();
        Holders h = new Holders(closed::incrementAndGet);
        h.hold();
        h.release();
        assertEquals(0, closed.get(), "not retired: the next inspection will use it");
        h.retire();
        assertEquals(1, closed.get(), "retired with nobody holding it: closed at once");
    }
}
