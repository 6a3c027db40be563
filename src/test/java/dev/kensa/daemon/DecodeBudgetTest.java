package dev.kensa.daemon;

import dev.kensa.testing.CraftedImages;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeBudgetTest {

    @Test
    void leasesAddUpToTheCapacityAndALoneOversizeImageStillGoesThrough() {
        DecodeBudget b = new DecodeBudget(100);
        DecodeBudget.Lease a = b.tryAcquire(60);
        assertNotNull(a);
        assertNull(b.tryAcquire(50), "60 + 50 > 100");
        DecodeBudget.Lease c = b.tryAcquire(40);
        assertNotNull(c);
        assertFalse(a.tryGrowTo(61), "a lease grows only within what the others leave");
        assertEquals(100, b.used());
        c.close();
        c.close(); // twice: harmless
        assertEquals(60, b.used());
        assertTrue(a.tryGrowTo(250), "alone, a lease may exceed the budget (one image larger than it)");
        assertNull(b.tryAcquire(1));
        a.close();
        assertEquals(0, b.used());
        DecodeBudget.Lease big = b.tryAcquire(1000);
        assertNotNull(big, "an oversize image is let in when nothing else is held");
        big.close();
    }

    @Test
    void aWaitingSourceGetsInWhenRoomIsFreed() throws Exception {
        DecodeBudget b = new DecodeBudget(100);
        DecodeBudget.Lease held = b.tryAcquire(80);
        CompletableFuture<DecodeBudget.Lease> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return b.acquire(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> waiting.get(200, TimeUnit.MILLISECONDS));
        held.close();
        assertEquals(50, waiting.get(10, TimeUnit.SECONDS).bytes());
    }

    @Test
    void theCostIsTheBytesPlusTheDecodedImageFromTheHeader() {
        byte[] png = CraftedImages.png(4000, 3000);
        assertEquals(png.length + 3L * 4000 * 3000, DecodeBudget.cost(png));
        byte[] bomb = CraftedImages.png(60000, 60000);
        assertEquals(bomb.length, DecodeBudget.cost(bomb), "refused from its header: never decoded");
        assertEquals(5, DecodeBudget.cost("junk!".getBytes()));
    }
}
