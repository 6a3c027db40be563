package dev.kensa.method.padim;

import org.junit.jupiter.api.Test;

/** PaDiM's seeded choices: the channel subset and the k-fold split. */
class PadimFitterTest {

    @Test
    void channelSubsetIsSeededSortedAndDistinct() {
        int[] a = PadimFitter.chooseChannels(448, 100, 42);
        int[] b = PadimFitter.chooseChannels(448, 100, 42);
        int[] c = PadimFitter.chooseChannels(448, 100, 43);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
        org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, c));
        for (int i = 1; i < a.length; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(a[i] > a[i - 1]);
        }
        org.junit.jupiter.api.Assertions.assertTrue(a[0] >= 0 && a[99] < 448);
    }

    @Test
    void foldsAreBalanced() {
        int[] folds = PadimFitter.assignFolds(209, 5, 42);
        int[] counts = new int[5];
        for (int f : folds) {
            counts[f]++;
        }
        for (int c : counts) {
            org.junit.jupiter.api.Assertions.assertTrue(c == 41 || c == 42, "fold size " + c);
        }
    }
}
