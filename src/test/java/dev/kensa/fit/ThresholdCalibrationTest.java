package dev.kensa.fit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ThresholdCalibrationTest {
    static final double[] GOOD = {1, 9, 3, 7, 5, 2, 8, 4, 6, 10}; // 10 goods, 1..10

    @Test
    void fprTenPercentRejectsExactlyOneOfTenGoods() {
        double t = ThresholdCalibration.threshold(GOOD, 0.10, 0.05);
        assertEquals(9, t); // 10 is above, 9 is at the threshold and passes (score > threshold is NG)
        assertEquals(0.1, ThresholdCalibration.rateAbove(GOOD, t), 1e-12);
    }

    @Test
    void fprBelowOneImageRejectsNone() {
        // 1 % of 10 images is 0.1 image: no good may be rejected
        double t = ThresholdCalibration.threshold(GOOD, 0.01, 0.05);
        assertEquals(10, t);
        assertEquals(0, ThresholdCalibration.rateAbove(GOOD, t));
    }

    @Test
    void fprZeroIsMaxPlusMargin() {
        assertEquals(10.5, ThresholdCalibration.threshold(GOOD, 0, 0.05), 1e-12);
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.threshold(new double[0], 0.01, 0));
        assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.threshold(GOOD, 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.threshold(GOOD, -0.1, 0));
    }

    @Test
    void channelSubsetIsSeededSortedAndDistinct() {
        int[] a = BundleFitter.chooseChannels(448, 100, 42);
        int[] b = BundleFitter.chooseChannels(448, 100, 42);
        int[] c = BundleFitter.chooseChannels(448, 100, 43);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
        org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, c));
        for (int i = 1; i < a.length; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(a[i] > a[i - 1]);
        }
        org.junit.jupiter.api.Assertions.assertTrue(a[0] >= 0 && a[99] < 448);
    }

    @Test
    void foldsAreBalanced() {
        int[] folds = BundleFitter.assignFolds(209, 5, 42);
        int[] counts = new int[5];
        for (int f : folds) {
            counts[f]++;
        }
        for (int c : counts) {
            org.junit.jupiter.api.Assertions.assertTrue(c == 41 || c == 42, "fold size " + c);
        }
    }
}
