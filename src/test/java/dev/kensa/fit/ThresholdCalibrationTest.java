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
}
