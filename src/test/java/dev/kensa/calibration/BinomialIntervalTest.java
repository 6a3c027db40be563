package dev.kensa.calibration;

import org.apache.commons.numbers.gamma.LogBeta;
import org.apache.commons.numbers.gamma.LogGamma;
import org.apache.commons.statistics.distribution.BetaDistribution;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The interval against SciPy, and the special functions behind it (Commons Statistics and Commons Numbers, which
 * replaced the hand-written ones) held to the same tolerances, so a library upgrade that lost digits fails here.
 */
class BinomialIntervalTest {

    /**
     * {k, n, lower, upper}: the 95 % Clopper-Pearson bounds computed with SciPy 1.17.1 as
     * {@code lower = 0 if k == 0 else scipy.stats.beta.ppf(0.025, k, n - k + 1)} and
     * {@code upper = 1 if k == n else scipy.stats.beta.ppf(0.975, k + 1, n - k)}.
     */
    static final double[][] SCIPY_CP95 = {
            {0, 1, 0.0, 0.975},
            {1, 1, 0.025, 1.0},
            {0, 10, 0.0, 0.3084971078187607},
            {10, 10, 0.6915028921812392, 1.0},
            {1, 10, 0.0025285785444617848, 0.4450161170281954},
            {0, 209, 0.0, 0.017495289579186512},
            {2, 209, 0.0011610043192095325, 0.03413849664327392},
            {5, 20, 0.08657146910143461, 0.49104587170795744},
            {100, 1000, 0.08210533435558001, 0.12028793651869263},
            {0, 100000, 0.0, 3.68881141579242e-05},
            {1, 100000, 2.531780477933314e-07, 5.571516034774275e-05},
            {50, 100000, 0.00037113170178349413, 0.0006591351958693719},
            {99999, 100000, 0.9999442848396523, 0.9999997468219523},
    };

    /** {x, a, b, I_x(a, b)} from {@code scipy.special.betainc(a, b, x)}, SciPy 1.17.1. */
    static final double[][] SCIPY_BETAINC = {
            {0.3, 2, 5, 0.5798250000000003},
            {0.5, 0.5, 0.5, 0.5000000000000001},
            {0.01, 1, 209, 0.8776072562050015},
            {0.9, 30, 2, 0.1695646331008649},
            {0.2, 10000.0, 40000.0, 0.5008920649571122},
            {1e-05, 1, 100000, 0.6321223982334279},
            {0.999, 2, 3, 0.999999996003},
            {0.05, 12, 200, 0.36577153283592806},
            {0.7, 3.5, 1.25, 0.36852739917558613},
    };

    @Test
    void clopperPearsonMatchesScipy() {
        for (double[] c : SCIPY_CP95) {
            BinomialInterval ci = BinomialInterval.clopperPearson((int) c[0], (int) c[1]);
            String at = "k=" + (int) c[0] + " n=" + (int) c[1];
            assertEquals(c[2], ci.lower(), 1e-10 * c[2], at + " lower");
            assertEquals(c[3], ci.upper(), 1e-10 * c[3], at + " upper");
            assertEquals(c[0] / c[1], ci.rate(), 0, at);
            assertEquals(0.95, ci.confidence());
        }
    }

    @Test
    void regularizedBetaMatchesScipy() {
        for (double[] c : SCIPY_BETAINC) {
            assertEquals(c[3], BetaDistribution.of(c[1], c[2]).cumulativeProbability(c[0]), 1e-12,
                    "x=" + c[0] + " a=" + c[1] + " b=" + c[2]);
        }
    }

    @Test
    void edgeCasesAgreeWithTheBinomialByHand() {
        // k = 0: the upper bound p solves P(no event) = (1 - p)^n = 0.025; k = n mirrors it
        for (int n : new int[]{1, 4, 26, 209, 5000}) {
            double byHand = 1 - Math.pow(0.025, 1.0 / n);
            BinomialInterval none = BinomialInterval.clopperPearson(0, n);
            assertEquals(0, none.lower());
            assertEquals(byHand, none.upper(), 1e-12);
            BinomialInterval all = BinomialInterval.clopperPearson(n, n);
            assertEquals(1 - byHand, all.lower(), 1e-12);
            assertEquals(1, all.upper());
        }
        // k = 2 of 10: the lower bound p solves P(X >= 2) = 1 - (1-p)^10 - 10 p (1-p)^9 = 0.025
        double p = BinomialInterval.clopperPearson(2, 10).lower();
        assertEquals(0.025, 1 - Math.pow(1 - p, 10) - 10 * p * Math.pow(1 - p, 9), 1e-13);
        // and the upper bound solves P(X <= 2) = 0.025
        double q = BinomialInterval.clopperPearson(2, 10).upper();
        double atMost2 = Math.pow(1 - q, 10) + 10 * q * Math.pow(1 - q, 9) + 45 * q * q * Math.pow(1 - q, 8);
        assertEquals(0.025, atMost2, 1e-13);
    }

    @Test
    void otherConfidenceLevels() {
        // scipy.stats.beta.ppf(0.05, 3, 8) and beta.ppf(0.995, 3, 8): the 90 % lower and 99 % upper bound for 3 of 10
        assertEquals(0.08726443391415033, BinomialInterval.clopperPearson(3, 10, 0.90).lower(), 1e-12);
        assertEquals(0.6482011663048368, BinomialInterval.clopperPearson(2, 10, 0.99).upper(), 1e-12);
    }

    @Test
    void inverseInvertsTheFunction() {
        BetaDistribution beta = BetaDistribution.of(7, 300);
        for (double p : new double[]{1e-9, 0.025, 0.5, 0.975, 1 - 1e-9}) {
            double x = beta.inverseCumulativeProbability(p);
            assertEquals(p, beta.cumulativeProbability(x), 1e-12 * Math.max(p, 1e-3));
        }
        assertEquals(0, BetaDistribution.of(2, 3).inverseCumulativeProbability(0));
        assertEquals(1, BetaDistribution.of(2, 3).inverseCumulativeProbability(1));
    }

    @Test
    void logGammaOfIntegersIsLogFactorial() {
        double logFactorial = 0;
        for (int n = 1; n < 171; n++) {
            assertEquals(logFactorial, LogGamma.value(n), 1e-12 * Math.max(1, logFactorial), "n=" + n);
            logFactorial += Math.log(n);
        }
        assertEquals(Math.log(Math.sqrt(Math.PI)), LogGamma.value(0.5), 1e-14);
    }

    @Test
    void logBetaKeepsItsDigitsForLargeArguments() {
        // B(1, n) = 1/n and B(2, n) = 1/(n (n+1)) exactly; the others from mpmath 40-digit log(beta(a, b))
        // (scipy.special.betaln is off by 2.4e-10 at (3.5, 1e6) and 6e-11 at (1e4, 4e4))
        assertEquals(-Math.log(100000), LogBeta.value(1, 100000), 1e-14);
        assertEquals(-Math.log(1e6 * (1e6 + 1)), LogBeta.value(2, 1e6), 1e-13);
        assertEquals(-33.968820791977386, LogBeta.value(20, 30), 1e-13);
        assertEquals(-47.15331772552351, LogBeta.value(3.5, 1e6), 1e-13);
        assertEquals(-25023.69582803652, LogBeta.value(1e4, 4e4), 1e-10);
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> BinomialInterval.clopperPearson(0, 0));
        assertThrows(IllegalArgumentException.class, () -> BinomialInterval.clopperPearson(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> BinomialInterval.clopperPearson(11, 10));
        assertThrows(IllegalArgumentException.class, () -> BinomialInterval.clopperPearson(1, 10, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new BinomialInterval(1, 10, 0.95, 0.1, 0.2, 0.3));
    }
}
