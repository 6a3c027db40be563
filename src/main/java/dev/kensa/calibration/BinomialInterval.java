package dev.kensa.calibration;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A rate of k events in n trials with its exact (Clopper-Pearson) confidence interval: here, k goods of n that the
 * threshold rejects, so the expected false-reject rate and how well n goods pin it down.
 *
 * <p>Clopper-Pearson inverts the binomial tails: the lower bound is the p at which k or more events have probability
 * (1 - confidence) / 2, the upper bound the p at which k or fewer have it; both are beta quantiles, computed here
 * from the regularised incomplete beta function (a continued fraction) and bisection. The interval is conservative
 * (covers at least the stated confidence for every p), which is what an engineer defending a threshold wants.
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
        if (n < 1 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + " n=" + n);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        if (!(0 <= lower && lower <= rate && rate <= upper && upper <= 1)) {
            throw new IllegalArgumentException("need 0 <= lower <= rate <= upper <= 1, got " + lower + ", " + rate + ", " + upper);
        }
    }

    /** The 95 % Clopper-Pearson interval for k events in n trials. */
    public static BinomialInterval clopperPearson(int k, int n) {
        return clopperPearson(k, n, 0.95);
    }

    public static BinomialInterval clopperPearson(int k, int n, double confidence) {
        if (n < 1 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + " n=" + n);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        double alpha = 1 - confidence;
        double lower = k == 0 ? 0 : inverseRegularizedBeta(alpha / 2, k, n - k + 1);
        double upper = k == n ? 1 : inverseRegularizedBeta(1 - alpha / 2, k + 1, n - k);
        double rate = (double) k / n;
        // bisection is exact to the last bits; keep the order guaranteed where the interval is one ulp wide
        return new BinomialInterval(k, n, confidence, rate, Math.min(lower, rate), Math.max(upper, rate));
    }

    // ---------------------------------------------------------------- special functions

    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};

    /** ln Gamma(x) for x &gt; 0 (Lanczos approximation, g = 7; about 15 significant digits). */
    static double logGamma(double x) {
        if (!(x > 0)) {
            throw new IllegalArgumentException("logGamma needs x > 0, got " + x);
        }
        if (x < 0.5) {
            // Gamma(x) = Gamma(x + 1) / x keeps the series in its accurate range
            return logGamma(x + 1) - Math.log(x);
        }
        double z = x - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    /**
     * The regularised incomplete beta function I_x(a, b) = P(X &lt;= x) for X ~ Beta(a, b), a, b &gt; 0.
     *
     * <p>I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * 1 / (1 + d1 / (1 + d2 / (1 + ...))) with
     * d(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)) and d(2m) = m(b-m) x / ((a+2m-1)(a+2m)), evaluated by the modified
     * Lentz method. The fraction converges fast for x &lt; (a+1)/(a+b+2); above that, I_x(a, b) = 1 - I_(1-x)(b, a).
     */
    public static double regularizedBeta(double x, double a, double b) {
        if (!(a > 0 && b > 0)) {
            throw new IllegalArgumentException("need a, b > 0, got a=" + a + " b=" + b);
        }
        if (!(x >= 0 && x <= 1)) {
            throw new IllegalArgumentException("need 0 <= x <= 1, got " + x);
        }
        if (x == 0 || x == 1) {
            return x;
        }
        if (x > (a + 1) / (a + b + 2)) {
            return 1 - regularizedBeta(1 - x, b, a);
        }
        double logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b) - Math.log(a);
        return Math.exp(logFront) / continuedFraction(x, a, b);
    }

    /**
     * ln B(a, b). For a large argument, ln Gamma(b) - ln Gamma(a + b) would cancel two numbers near b ln b (10^6 for
     * b = 10^5) and lose ten digits; Stirling's form with the difference taken analytically (log1p) keeps them.
     */
    static double logBeta(double a, double b) {
        double p = Math.min(a, b);
        double q = Math.max(a, b);
        if (p >= 10) {
            return -0.5 * Math.log(q) + 0.5 * Math.log(2 * Math.PI) + stirlingCorrection(p)
                    + (stirlingCorrection(q) - stirlingCorrection(p + q))
                    + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
        }
        if (q >= 10) {
            return logGamma(p) + (stirlingCorrection(q) - stirlingCorrection(p + q))
                    + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
        }
        return logGamma(p) + logGamma(q) - logGamma(p + q);
    }

    /**
     * ln Gamma(x) - ((x - 1/2) ln x - x + ln sqrt(2 pi)) for x &gt;= 10: the Stirling series to x^-9; the first omitted
     * term is below 2e-14.
     */
    private static double stirlingCorrection(double x) {
        double r = 1 / x;
        double r2 = r * r;
        return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    }

    /** 1 + d1 / (1 + d2 / (1 + ...)) by the modified Lentz method. */
    private static double continuedFraction(double x, double a, double b) {
        final double tiny = 1e-300;
        final double eps = 1e-15;
        double f = 1;
        double c = 1;
        double d = 0;
        // the number of terms needed grows like sqrt(max(a, b)); 10000 covers a and b up to about 10^7
        for (int i = 1; i <= 20000; i++) {
            int m = i / 2;
            double term = (i % 2 == 1)
                    ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                    : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + term * d;
            d = Math.abs(d) < tiny ? tiny : d;
            d = 1 / d;
            c = 1 + term / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < eps) {
                return f;
            }
        }
        throw new ArithmeticException("incomplete beta did not converge for x=" + x + " a=" + a + " b=" + b);
    }

    /**
     * The x with I_x(a, b) = p, by bisection on [0, 1] to full double precision (I_x is increasing in x). Some 60 to
     * 100 evaluations; exact where Newton steps can overshoot near 0 and 1.
     */
    public static double inverseRegularizedBeta(double p, double a, double b) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("need 0 <= p <= 1, got " + p);
        }
        if (p == 0 || p == 1) {
            return p;
        }
        double lo = 0;
        double hi = 1;
        for (int i = 0; i < 2000; i++) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) {
                break; // adjacent doubles
            }
            if (regularizedBeta(mid, a, b) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }
}
