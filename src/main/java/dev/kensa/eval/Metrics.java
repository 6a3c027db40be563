package dev.kensa.eval;

import dev.kensa.post.ConnectedComponents;

import java.util.Arrays;
import java.util.List;

/**
 * Exact anomaly-detection metrics (image AUROC, pixel AUROC, F1-max, AUPRO), computed the way
 * the MVTec AD / anomalib numbers are defined but without approximation.
 *
 * <p>Convention everywhere: a higher score means more anomalous, {@code positive} marks the
 * anomalous class, and a sample is predicted anomalous at threshold t when {@code score >= t}.
 * Equal scores always enter the curves together (one curve point per distinct score), and
 * {@code -0.0} counts as equal to {@code 0.0}. NaN scores are rejected.
 *
 * <p>The pixel-level methods sort primitive keys with a radix sort (no boxing, no index
 * arrays), so 10 million pixels take well under a second and about 8-12 bytes of temporary
 * heap per pixel.
 */
public final class Metrics {

    /**
     * A ROC curve with one point per distinct score, from the strictest threshold to the most
     * lenient. Point 0 is (0, 0) at threshold {@code +Infinity}; point k uses
     * {@code thresholds[k]}, the k-th largest distinct score. Same points as
     * {@code sklearn.metrics.roc_curve(..., drop_intermediate=False)}.
     */
    public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {
    }

    /** Below this size the JDK sort beats setting up 2 x 65536 radix buckets. */
    private static final int RADIX_MIN = 1 << 12;

    private Metrics() {
    }

    // ---------------------------------------------------------------------------------------
    // AUROC

    /**
     * Area under the ROC curve: the probability that a random anomalous sample scores higher
     * than a random normal one, ties counting one half (Mann-Whitney U / (P * N)). Equal to
     * {@code sklearn.metrics.roc_auc_score}.
     *
     * @throws IllegalArgumentException if lengths differ, a score is NaN, or either class is
     *     absent
     */
    public static double auroc(double[] scores, boolean[] positive) {
        Sweep s = sweep(scores, positive);
        requireBothClasses(s.positives, s.negatives, "AUROC");
        return s.auroc();
    }

    /**
     * Same as {@link #auroc(double[], boolean[])} for pixel-level data (e.g. all anomaly-map
     * pixels of a test set against the ground-truth masks). Scores are compared as floats.
     */
    public static double auroc(float[] scores, boolean[] positive) {
        checkLengths(scores == null ? -1 : scores.length, positive);
        int p = 0;
        for (boolean b : positive) {
            if (b) p++;
        }
        int n = positive.length - p;
        requireBothClasses(p, n, "AUROC");
        int[] pos = new int[p];
        int[] neg = new int[n];
        int pi = 0;
        int ni = 0;
        for (int i = 0; i < scores.length; i++) {
            int key = floatKey(scores[i], i);
            if (positive[i]) {
                pos[pi++] = key;
            } else {
                neg[ni++] = key;
            }
        }
        sortInts(pos);
        sortInts(neg);
        // Walk the distinct scores from high to low; at each one the ROC curve steps by
        // (cn/N, cp/P) and the trapezoid under that step is cn * (2 * tpBefore + cp) / (2PN).
        long twiceU = 0;
        long tp = 0;
        int i = p - 1;
        int j = n - 1;
        while (i >= 0 || j >= 0) {
            int key = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
            long cp = 0;
            while (i >= 0 && pos[i] == key) {
                cp++;
                i--;
            }
            long cn = 0;
            while (j >= 0 && neg[j] == key) {
                cn++;
                j--;
            }
            twiceU += cn * (2 * tp + cp);
            tp += cp;
        }
        return twiceU / (2.0 * p * n);
    }

    /**
     * The ROC curve (false-positive rate, true-positive rate) at every distinct score used as
     * the threshold, for plotting. See {@link RocCurve}.
     *
     * @throws IllegalArgumentException if lengths differ, a score is NaN, or either class is
     *     absent
     */
    public static RocCurve roc(double[] scores, boolean[] positive) {
        Sweep s = sweep(scores, positive);
        requireBothClasses(s.positives, s.negatives, "ROC");
        int m = s.thresholds.length;
        double[] fpr = new double[m + 1];
        double[] tpr = new double[m + 1];
        double[] thr = new double[m + 1];
        thr[0] = Double.POSITIVE_INFINITY;
        for (int k = 0; k < m; k++) {
            fpr[k + 1] = (double) s.fp[k] / s.negatives;
            tpr[k + 1] = (double) s.tp[k] / s.positives;
            thr[k + 1] = s.thresholds[k];
        }
        return new RocCurve(fpr, tpr, thr);
    }

    // ---------------------------------------------------------------------------------------
    // F1

    /**
     * The best F1 score of the anomalous class over all thresholds t (predict anomalous when
     * {@code score >= t}, t ranging over the distinct scores): max of 2TP / (2TP + FP + FN).
     * Normal samples may be absent (then the result is 1).
     *
     * @throws IllegalArgumentException if lengths differ, a score is NaN, or there is no
     *     anomalous sample
     */
    public static double f1Max(double[] scores, boolean[] positive) {
        Sweep s = sweep(scores, positive);
        return s.f1Max()[0];
    }

    /**
     * The threshold (one of the scores) at which {@link #f1Max(double[], boolean[])} is
     * reached; when several thresholds tie for the best F1, the highest of them.
     */
    public static double f1MaxThreshold(double[] scores, boolean[] positive) {
        Sweep s = sweep(scores, positive);
        return s.f1Max()[1];
    }

    // ---------------------------------------------------------------------------------------
    // AUPRO

    /**
     * Normalised area under the per-region-overlap curve up to a false-positive rate
     * {@code fprLimit}, as in MVTec AD and anomalib's AUPRO (0.3 is the usual limit), computed
     * exactly rather than on a threshold grid.
     *
     * <p>Regions are the 8-connected components of every image's ground-truth mask. At a
     * threshold t, FPR(t) is the fraction of all normal pixels (mask false, over all images)
     * with {@code score >= t}, and PRO(t) is the mean over all regions of all images of the
     * fraction of the region's pixels with {@code score >= t}. The curve has one point per
     * distinct score, starting at (0, 0); it is integrated over FPR from 0 to {@code fprLimit}
     * with the trapezoid rule, the last segment linearly interpolated at exactly
     * {@code fprLimit}, and divided by {@code fprLimit}, so a perfect map scores 1. Images
     * without defects contribute only normal pixels.
     *
     * @param maps anomaly maps, row-major, {@code width * height} each
     * @param masks ground-truth masks, same order and size as {@code maps}
     * @param fprLimit upper integration limit, in (0, 1]
     * @throws IllegalArgumentException on size mismatches, NaN scores, a limit outside (0, 1],
     *     or when there is no defect region or no normal pixel at all
     */
    public static double aupro(List<float[]> maps, List<boolean[]> masks, int width, int height,
            double fprLimit) {
        if (!(fprLimit > 0 && fprLimit <= 1)) {
            throw new IllegalArgumentException("fprLimit must be in (0, 1], got " + fprLimit);
        }
        if (maps.size() != masks.size()) {
            throw new IllegalArgumentException(
                    maps.size() + " anomaly maps but " + masks.size() + " masks");
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("bad image size " + width + "x" + height);
        }
        int pixels = Math.multiplyExact(width, height);
        long defectTotal = 0;
        long total = 0;
        for (int k = 0; k < maps.size(); k++) {
            float[] map = maps.get(k);
            boolean[] mask = masks.get(k);
            if (map == null || map.length != pixels || mask == null || mask.length != pixels) {
                throw new IllegalArgumentException("image " + k + ": map or mask is not "
                        + width + "x" + height);
            }
            for (boolean b : mask) {
                if (b) defectTotal++;
            }
            total += pixels;
        }
        long normalTotal = total - defectTotal;
        if (defectTotal == 0) {
            throw new IllegalArgumentException("AUPRO needs ground-truth defect regions; all masks are empty");
        }
        if (normalTotal == 0) {
            throw new IllegalArgumentException("AUPRO needs normal pixels; every mask pixel is a defect");
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many pixels for one AUPRO pass: " + total);
        }

        // Normal pixels only need their score; defect pixels carry their global region index
        // in the low 32 bits under the score key, so one sort orders them by score.
        int[] normal = new int[(int) normalTotal];
        long[] defect = new long[(int) defectTotal];
        int[] area = new int[16];
        int regions = 0;
        int ni = 0;
        int di = 0;
        for (int k = 0; k < maps.size(); k++) {
            float[] map = maps.get(k);
            boolean[] mask = masks.get(k);
            boolean anyDefect = false;
            for (boolean b : mask) {
                if (b) {
                    anyDefect = true;
                    break;
                }
            }
            if (!anyDefect) {
                for (int p = 0; p < pixels; p++) {
                    normal[ni++] = floatKey(map[p], p);
                }
                continue;
            }
            int[] labels = ConnectedComponents.label(mask, width, height);
            int imageRegions = 0;
            for (int l : labels) {
                if (l > imageRegions) imageRegions = l;
            }
            if (regions + imageRegions > area.length) {
                area = Arrays.copyOf(area, Math.max(2 * area.length, regions + imageRegions));
            }
            for (int p = 0; p < pixels; p++) {
                int key = floatKey(map[p], p);
                if (mask[p]) {
                    int region = regions + labels[p] - 1;
                    area[region]++;
                    defect[di++] = ((long) key << 32) | region;
                } else {
                    normal[ni++] = key;
                }
            }
            regions += imageRegions;
        }
        double[] weight = new double[regions];
        for (int r = 0; r < regions; r++) {
            weight[r] = 1.0 / ((double) regions * area[r]);
        }
        sortInts(normal);
        sortByHighInt(defect);

        // Sweep distinct scores from high to low, one curve point each.
        double limit = fprLimit;
        double sum = 0; // trapezoid area so far
        double prevFpr = 0;
        double prevPro = 0;
        double pro = 0;
        double proCompensation = 0; // Kahan: millions of tiny increments
        long fpCount = 0;
        int i = normal.length - 1;
        int j = defect.length - 1;
        while (i >= 0 || j >= 0) {
            int key;
            if (i < 0) {
                key = (int) (defect[j] >> 32);
            } else if (j < 0) {
                key = normal[i];
            } else {
                key = Math.max(normal[i], (int) (defect[j] >> 32));
            }
            while (i >= 0 && normal[i] == key) {
                fpCount++;
                i--;
            }
            while (j >= 0 && (int) (defect[j] >> 32) == key) {
                double y = weight[(int) defect[j]] - proCompensation;
                double t = pro + y;
                proCompensation = (t - pro) - y;
                pro = t;
                j--;
            }
            double fpr = (double) fpCount / normalTotal;
            double curPro = j < 0 ? 1.0 : pro; // every region pixel is in: exactly 1, not 1 - rounding
            if (fpr > limit) {
                double atLimit = prevPro + (curPro - prevPro) * (limit - prevFpr) / (fpr - prevFpr);
                sum += (limit - prevFpr) * (prevPro + atLimit) / 2;
                break;
            }
            sum += (fpr - prevFpr) * (prevPro + curPro) / 2;
            prevFpr = fpr;
            prevPro = curPro;
        }
        return sum / limit;
    }

    // ---------------------------------------------------------------------------------------
    // shared sweep over double scores

    /**
     * Cumulative counts at each distinct score, highest first: predicting {@code score >=
     * thresholds[k]} anomalous gives {@code tp[k]} true and {@code fp[k]} false positives.
     */
    private record Sweep(double[] thresholds, long[] tp, long[] fp, long positives, long negatives) {

        double auroc() {
            long twiceU = 0;
            long tpBefore = 0;
            long fpBefore = 0;
            for (int k = 0; k < thresholds.length; k++) {
                twiceU += (fp[k] - fpBefore) * (tp[k] + tpBefore);
                tpBefore = tp[k];
                fpBefore = fp[k];
            }
            return twiceU / (2.0 * positives * negatives);
        }

        /** {best F1, its threshold}. */
        double[] f1Max() {
            if (positives == 0) {
                throw new IllegalArgumentException("F1 needs at least one anomalous sample; got "
                        + negatives + " normal and no anomalous samples");
            }
            double best = -1;
            double bestThreshold = Double.NaN;
            for (int k = 0; k < thresholds.length; k++) {
                // FN = P - TP, so 2TP + FP + FN = TP + FP + P
                double f1 = 2.0 * tp[k] / (tp[k] + fp[k] + positives);
                if (f1 > best) { // strict: ties keep the higher threshold seen first
                    best = f1;
                    bestThreshold = thresholds[k];
                }
            }
            return new double[] {best, bestThreshold};
        }
    }

    private static Sweep sweep(double[] scores, boolean[] positive) {
        checkLengths(scores == null ? -1 : scores.length, positive);
        int p = 0;
        for (boolean b : positive) {
            if (b) p++;
        }
        int n = positive.length - p;
        double[] pos = new double[p];
        double[] neg = new double[n];
        int pi = 0;
        int ni = 0;
        for (int i = 0; i < scores.length; i++) {
            double v = scores[i];
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
            v += 0.0; // -0.0 becomes 0.0 so the two tie
            if (positive[i]) {
                pos[pi++] = v;
            } else {
                neg[ni++] = v;
            }
        }
        Arrays.sort(pos);
        Arrays.sort(neg);
        double[] thr = new double[p + n];
        long[] tp = new long[p + n];
        long[] fp = new long[p + n];
        int m = 0;
        long tpCount = 0;
        long fpCount = 0;
        int i = p - 1;
        int j = n - 1;
        while (i >= 0 || j >= 0) {
            double v = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
            while (i >= 0 && pos[i] == v) {
                tpCount++;
                i--;
            }
            while (j >= 0 && neg[j] == v) {
                fpCount++;
                j--;
            }
            thr[m] = v;
            tp[m] = tpCount;
            fp[m] = fpCount;
            m++;
        }
        return new Sweep(Arrays.copyOf(thr, m), Arrays.copyOf(tp, m), Arrays.copyOf(fp, m), p, n);
    }

    private static void checkLengths(int scoreLength, boolean[] positive) {
        if (scoreLength < 0 || positive == null) {
            throw new IllegalArgumentException("scores and labels must not be null");
        }
        if (scoreLength != positive.length) {
            throw new IllegalArgumentException("scores and labels differ in length: "
                    + scoreLength + " scores, " + positive.length + " labels");
        }
    }

    private static void requireBothClasses(long positives, long negatives, String metric) {
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException(metric + " needs both classes; got " + positives
                    + " anomalous and " + negatives + " normal samples");
        }
    }

    // ---------------------------------------------------------------------------------------
    // primitive sorting

    /**
     * An int whose signed order is the float order of {@code f}; -0.0 and 0.0 map to the same
     * key. Positive floats keep their bits; negative ones get their magnitude bits flipped so
     * that larger magnitudes sort lower.
     */
    static int floatKey(float f, int index) {
        if (f != f) {
            throw new IllegalArgumentException("score " + index + " is NaN");
        }
        int bits = Float.floatToRawIntBits(f + 0.0f);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /** Ascending sort of ints: LSD radix, two 16-bit passes, one scratch array. */
    static void sortInts(int[] a) {
        int n = a.length;
        if (n < RADIX_MIN) {
            Arrays.sort(a);
            return;
        }
        int[] buf = new int[n];
        int[] start = new int[65537];
        for (int v : a) start[(v & 0xFFFF) + 1]++;
        for (int d = 0; d < 65536; d++) start[d + 1] += start[d];
        for (int v : a) buf[start[v & 0xFFFF]++] = v;
        Arrays.fill(start, 0);
        // the sign bit flips so negative keys come first
        for (int v : buf) start[((v >>> 16) ^ 0x8000) + 1]++;
        for (int d = 0; d < 65536; d++) start[d + 1] += start[d];
        for (int v : buf) a[start[(v >>> 16) ^ 0x8000]++] = v;
    }

    /** Sort of longs by their high 32 bits (signed), LSD radix like {@link #sortInts}; low bits ride along. */
    static void sortByHighInt(long[] a) {
        int n = a.length;
        if (n < RADIX_MIN) {
            Arrays.sort(a); // full-long order implies high-int order
            return;
        }
        long[] buf = new long[n];
        int[] start = new int[65537];
        for (long v : a) start[(int) ((v >>> 32) & 0xFFFF) + 1]++;
        for (int d = 0; d < 65536; d++) start[d + 1] += start[d];
        for (long v : a) buf[start[(int) ((v >>> 32) & 0xFFFF)]++] = v;
        Arrays.fill(start, 0);
        for (long v : buf) start[(int) ((v >>> 48) ^ 0x8000) + 1]++;
        for (int d = 0; d < 65536; d++) start[d + 1] += start[d];
        for (long v : buf) a[start[(int) ((v >>> 48) ^ 0x8000)]++] = v;
    }
}
