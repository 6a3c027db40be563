package dev.kensa.drift;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * Watches the image scores of the live stream for drift against the bundle's calibration scores (issue 12 item 3):
 * lighting ages, a lens gets dirty, a new batch of material differs, and the good parts start to score higher.
 * It only observes: nothing here feeds back into a verdict.
 *
 * <h2>The statistic</h2>
 * The one-sided Mann-Whitney (Wilcoxon rank-sum) test of "the window's scores are stochastically larger than the
 * calibration scores", as a standard score:
 * <pre>  U = sum over window scores w of #(reference &lt; w) + #(reference = w) / 2
 *   z = (U - n m / 2) / sqrt(n m (n + m + 1) / 12)      n = reference size, m = window size</pre>
 * Why this one:
 * <ul>
 *   <li>It needs no model of the score distribution (ranks only), and its critical value is a fixed z that already
 *       accounts for both sample sizes, so {@code kensa_score_drift} means the same on every box and every bundle.
 *       U / (n m) itself reads as "the chance that a live part scores above a calibration good" (0.5: no drift).</li>
 *   <li>It sees a rise of the whole distribution, which is what drift does to good parts. Measured on the real
 *       scores of goods the fit never saw (bottle: 129, transistor: 173, coefficient of variation 22 % and 29 %) as
 *       the reference and 500-score windows resampled from them: every score 15 % higher gives z = 6.7 and 7.1 on
 *       average (lowest of 500 windows 5.7 and 6.0), 10 % higher 4.7 and 5.0. A one-sided Kolmogorov-Smirnov test at
 *       the same level has about the same power there (1.5x and 1.1x its critical value); the rank sum wins on the
 *       next two points.</li>
 *   <li>O(log n) per score: each score's rank in the sorted reference is found once when it enters the window and
 *       subtracted when it leaves, so U is a running sum (KS needs the window sorted and a merge per evaluation).
 *       Memory is the window and the reference.</li>
 *   <li>The live stream also carries NG parts, whose scores lie above every good one. A share p of them raises
 *       U / (n m) by at most p / 2, i.e. z by p / 2 * sqrt(12 n m / (n + m + 1)): with 209 calibration scores and 500
 *       in the window, 5 % NG parts add about 1.1 and 10 % about 2.1, below the warning level; an NG share above about
 *       20 % warns, and on a line that rejects a fifth of its parts that is news too.</li>
 * </ul>
 *
 * <h2>States</h2>
 * {@code insufficient-data} while there is no reference (a bundle without calibration.json, or with in-sample
 * scores), the reference has fewer than {@value #MIN_REFERENCE} scores, or the window has fewer than the minimum
 * scores; then {@code warning} once z reaches {@value #WARN_Z} (one-sided p = 1e-5) and {@code ok} again only when
 * z falls below {@value #CLEAR_Z} (p = 1e-3), so a drift near the boundary does not flap. The statistic is evaluated
 * after every score, so the per-evaluation level must be far below the false-alarm rate wanted per box: simulated
 * over 200 boxes (a fresh 209-score reference each, 200 windows of 500 unshifted scores, evaluated after every
 * score), 0.5 % of boxes ever warned at 4.265 against 2.5 % at 3.72 (p = 1e-4). A real line is less kind than the
 * simulation: scores of consecutive parts are correlated (batches, shifts), which raises the false-alarm rate; the
 * warning says "look", it never stops the line.
 *
 * <p>The reference must be out-of-sample scores (k-fold, leave-one-out, held-out or dev goods): the fit images' own
 * scores are about 30 % lower than live goods and would warn at once. k-fold scores are biased slightly high, which
 * makes the monitor slightly less sensitive, never more alarmed.
 *
 * <p>{@link #reset} starts over for a new model (hot swap, rollback); scores the caller still adds for the previous
 * model (inspections in flight during the swap) are told apart by the model identity and ignored. Thread-safe: every
 * method holds the monitor's lock for O(log n) (snapshot: O(m log m) for the median).
 */
public final class DriftMonitor {
    public static final int DEFAULT_WINDOW = 500;
    public static final int DEFAULT_MIN_SCORES = 100;
    /** Fewer calibration scores than this pin the reference distribution down too loosely to compare against. */
    public static final int MIN_REFERENCE = 30;
    /** Enter {@code warning} at this z: one-sided p = 1e-5. */
    public static final double WARN_Z = 4.265;
    /** Leave {@code warning} below this z: one-sided p = 1e-3. */
    public static final double CLEAR_Z = 3.090;

    public enum State {
        OK("ok"), WARNING("warning"), INSUFFICIENT_DATA("insufficient-data");

        private final String id;

        State(String id) {
            this.id = id;
        }

        /** The name in the status JSON and the MQTT status message. */
        public String id() {
            return id;
        }
    }

    /**
     * What {@code /api/v1/status} and the MQTT status message show as {@code drift}.
     *
     * @param state       the current state
     * @param statistic   the one-sided rank-sum z of the window against the reference (positive: scores higher than at
     *                    calibration); null while insufficient-data
     * @param window      scores in the window now (up to the configured size)
     * @param since       when the current state began
     * @param medianRatio median of the window over the median of the reference (1.15: scores 15 % up); null while
     *                    insufficient-data
     * @param reason      why the state is insufficient-data, in words; null otherwise
     * @param model       the model whose scores are watched; null before the first {@link #reset}
     */
    public record Snapshot(State state, Double statistic, int window, Instant since, Double medianRatio, String reason,
                           String model) {
    }

    private final int capacity;
    private final int minScores;
    private final Clock clock;

    private final double[] ring;
    private final int[] rank2; // 2 #(reference < w) + #(reference = w) for the score in the same slot
    private int head;
    private int count;
    private long u2; // 2 U

    private double[] reference; // sorted, finite; null when none
    private double referenceMedian;
    private String model;
    private State state = State.INSUFFICIENT_DATA;
    private Instant since;
    private double z = Double.NaN;

    /**
     * @param window    scores kept ({@code kensa.drift.window})
     * @param minScores scores needed in the window before a state other than insufficient-data, 1..window
     */
    public DriftMonitor(int window, int minScores, Clock clock) {
        if (window < 1 || minScores < 1 || minScores > window) {
            throw new IllegalArgumentException("need window >= 1 and 1 <= minScores <= window, got " + window + ", " + minScores);
        }
        this.capacity = window;
        this.minScores = minScores;
        this.clock = Objects.requireNonNull(clock);
        this.ring = new double[window];
        this.rank2 = new int[window];
        this.since = clock.instant();
    }

    /** A window of {@code window} scores, deciding from {@code min(100, window)} scores on, on the system clock. */
    public DriftMonitor(int window) {
        this(window, Math.min(DEFAULT_MIN_SCORES, window), Clock.systemUTC());
    }

    /**
     * Starts over for a new model: empties the window and takes the new reference.
     *
     * @param model     identity of the model (its id or sha256), as later given to {@link #add}
     * @param reference the bundle's out-of-sample calibration scores, or null when it has none (older bundles,
     *                  in-sample calibration): the state then stays insufficient-data
     */
    public synchronized void reset(String model, double[] reference) {
        reset(model, reference, clock.instant());
    }

    /** As {@link #reset(String, double[])}, with the time the model changed as the new state's {@code since}. */
    public synchronized void reset(String model, double[] reference, Instant since) {
        this.model = model;
        if (reference == null) {
            this.reference = null;
        } else {
            double[] r = Arrays.stream(reference).filter(Double::isFinite).sorted().toArray();
            this.reference = r;
            this.referenceMedian = r.length == 0 ? Double.NaN : median(r, r.length);
        }
        head = 0;
        count = 0;
        u2 = 0;
        z = Double.NaN;
        state = State.INSUFFICIENT_DATA;
        this.since = Objects.requireNonNull(since);
    }

    /**
     * Adds the score of one inspected part (OK or NG; an ERROR has no score and is not added). Scores of another
     * model than the current one, and non-finite scores, are ignored.
     */
    public synchronized void add(String model, double score) {
        if (!Objects.equals(model, this.model) || !Double.isFinite(score)) {
            return;
        }
        int r = reference == null ? 0 : rank2(reference, score);
        if (count == capacity) {
            u2 -= rank2[head];
        } else {
            count++;
        }
        ring[head] = score;
        rank2[head] = r;
        u2 += r;
        head = (head + 1) % capacity;
        evaluate();
    }

    private void evaluate() {
        State next;
        if (insufficientReason() != null) {
            z = Double.NaN;
            next = State.INSUFFICIENT_DATA;
        } else {
            double n = reference.length;
            double m = count;
            z = (u2 / 2.0 - n * m / 2) / Math.sqrt(n * m * (n + m + 1) / 12);
            next = state == State.WARNING ? (z < CLEAR_Z ? State.OK : State.WARNING) : (z >= WARN_Z ? State.WARNING : State.OK);
        }
        if (next != state) {
            state = next;
            since = clock.instant();
        }
    }

    private String insufficientReason() {
        if (model == null) {
            return "no model";
        }
        if (reference == null || reference.length == 0) {
            return "no out-of-sample calibration scores in the bundle";
        }
        if (reference.length < MIN_REFERENCE) {
            return "the bundle has " + reference.length + " calibration scores, drift needs " + MIN_REFERENCE;
        }
        if (count < minScores) {
            return count + " of " + minScores + " scores needed";
        }
        return null;
    }

    /** The state, statistic and window now. */
    public synchronized Snapshot snapshot() {
        boolean decided = state != State.INSUFFICIENT_DATA;
        Double ratio = null;
        if (decided && referenceMedian > 0) {
            ratio = median(windowScores(), count) / referenceMedian;
        }
        return new Snapshot(state, decided ? z : null, count, since, ratio, decided ? null : insufficientReason(), model);
    }

    /** The state now (cheaper than a {@link #snapshot()}, which computes the window's median). */
    public synchronized State state() {
        return state;
    }

    /** The statistic for the {@code kensa_score_drift} gauge: NaN while insufficient-data. */
    public synchronized double statistic() {
        return state == State.INSUFFICIENT_DATA ? Double.NaN : z;
    }

    public int capacity() {
        return capacity;
    }

    /** The window's scores, oldest first (a copy). */
    synchronized double[] windowScores() {
        double[] out = new double[count];
        int start = count == capacity ? head : 0;
        for (int i = 0; i < count; i++) {
            out[i] = ring[(start + i) % capacity];
        }
        return out;
    }

    /** 2 #(sorted &lt; v) + #(sorted = v). */
    private static int rank2(double[] sorted, double v) {
        int lo = lowerBound(sorted, v);
        int hi = lo;
        while (hi < sorted.length && sorted[hi] == v) {
            hi++;
        }
        return lo + hi;
    }

    private static int lowerBound(double[] sorted, double v) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Median of the first {@code n} values (sorts a copy unless already sorted). */
    private static double median(double[] values, int n) {
        double[] s = Arrays.copyOf(values, n);
        Arrays.sort(s);
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
