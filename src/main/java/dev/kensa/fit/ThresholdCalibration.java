package dev.kensa.fit;

import java.util.Arrays;

/**
 * Image-threshold choice from scores of good parts (../shared/DESIGN.md §4). Score &gt; threshold is NG, so a threshold
 * equal to a good score passes that part.
 */
public final class ThresholdCalibration {
    private ThresholdCalibration() {
    }

    /**
     * @param goodScores scores of good images the model did not see (out-of-fold, held-out or dev)
     * @param fpr        target image-level false-reject rate in [0, 1): at most floor(fpr * n) of these goods
     *                   score above the threshold; 0 means none, with a margin above the largest
     * @param margin     relative margin over the largest good score when fpr = 0 (0.05 = 5 %)
     */
    public static double threshold(double[] goodScores, double fpr, double margin) {
        if (goodScores.length == 0) {
            throw new IllegalArgumentException("no good scores to calibrate on");
        }
        if (!(fpr >= 0 && fpr < 1)) {
            throw new IllegalArgumentException("fpr must be in [0, 1), got " + fpr);
        }
        double[] s = goodScores.clone();
        Arrays.sort(s);
        int n = s.length;
        if (fpr == 0) {
            return s[n - 1] * (1 + margin);
        }
        int allowed = (int) Math.floor(fpr * n + 1e-9);
        // the (allowed+1)-th largest: exactly 'allowed' goods lie above it when scores are distinct
        return s[n - 1 - Math.min(allowed, n - 1)];
    }

    /** Fraction of {@code scores} above the threshold (the NG rate it gives on those images). */
    public static double rateAbove(double[] scores, double threshold) {
        if (scores.length == 0) {
            return Double.NaN;
        }
        int above = 0;
        for (double v : scores) {
            if (v > threshold) {
                above++;
            }
        }
        return (double) above / scores.length;
    }
}
