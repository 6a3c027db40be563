package dev.kensa.calibration;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.apache.commons.statistics.distribution.BetaDistribution;

/**
 * A rate of k events in n trials with its exact (Clopper-Pearson) confidence interval: here, k goods of n that the
 * threshold rejects, so the expected false-reject rate and how well n goods pin it down.
 *
 * <p>Clopper-Pearson inverts the binomial tails: the lower bound is the p at which k or more events have probability
 * (1 - confidence) / 2, the upper bound the p at which k or fewer have it; both are beta quantiles
 * (Commons Statistics' {@link BetaDistribution}, which keeps its digits up to n = 10^5 and beyond). The interval is
 * conservative (covers at least the stated confidence for every p), which is what an engineer defending a threshold
 * wants.
 *
 * @param k          events (goods rejected), 0..n
 * @param n          trials (goods scored), at least 1
 * @param confidence e.g. 0.95
 * @param rate       k / n
 * @param lower      lower bound of the interval (0 when k = 0)
 * @param upper      upper bound of the interval (1 when k = n)
 */
@JsonPropertyOrder({"k", "n", "confidence", "rate", "lower", "upper"})
public record BinomialInterval(int k, int n, double confidence, double rate, double lower, double upper) {

    public BinomialInterval {
        checkCounts(k, n, confidence);
        if (!(0 <= lower && lower <= rate && rate <= upper && upper <= 1)) {
            throw new IllegalArgumentException("need 0 <= lower <= rate <= upper <= 1, got " + lower + ", " + rate + ", " + upper);
        }
    }

    /** The 95 % Clopper-Pearson interval for k events in n trials. */
    public static BinomialInterval clopperPearson(int k, int n) {
        return clopperPearson(k, n, 0.95);
    }

    public static BinomialInterval clopperPearson(int k, int n, double confidence) {
        checkCounts(k, n, confidence);
        double alpha = 1 - confidence;
        double lower = k == 0 ? 0 : BetaDistribution.of(k, n - k + 1).inverseCumulativeProbability(alpha / 2);
        double upper = k == n ? 1 : BetaDistribution.of(k + 1, n - k).inverseCumulativeProbability(1 - alpha / 2);
        double rate = (double) k / n;
        // the quantiles are exact to the last bits; keep the order guaranteed where the interval is one ulp wide
        return new BinomialInterval(k, n, confidence, rate, Math.min(lower, rate), Math.max(upper, rate));
    }

    private static void checkCounts(int k, int n, double confidence) {
        if (n < 1 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + " n=" + n);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
    }
}
