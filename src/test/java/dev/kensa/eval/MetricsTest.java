package dev.kensa.eval;

import dev.kensa.eval.Metrics.RocCurve;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    private static final double EPS = 1e-12;

    private static boolean[] labels(int... bits) {
        boolean[] b = new boolean[bits.length];
        for (int i = 0; i < bits.length; i++) {
            b[i] = bits[i] != 0;
        }
        return b;
    }

    // ---------------------------------------------------------------------------------------
    // AUROC

    @Test
    void aurocHandChecked() {
        // positives 0.35, 0.8; negatives 0.1, 0.4. Pairs (pos > neg): 0.35>0.1 yes, 0.35>0.4 no,
        // 0.8>0.1 yes, 0.8>0.4 yes -> 3 of 4 = 0.75 (sklearn roc_auc_score gives 0.75 too)
        double[] s = {0.1, 0.4, 0.35, 0.8};
        boolean[] y = labels(0, 0, 1, 1);
        assertEquals(0.75, Metrics.auroc(s, y), EPS);
        assertEquals(0.75, Metrics.auroc(new float[] {0.1f, 0.4f, 0.35f, 0.8f}, y), EPS);
    }

    @Test
    void aurocTiesCountHalf() {
        // one pair, tied: 0.5
        assertEquals(0.5, Metrics.auroc(new double[] {0.5, 0.5}, labels(0, 1)), EPS);
        assertEquals(0.5, Metrics.auroc(new float[] {0.5f, 0.5f}, labels(0, 1)), EPS);
        // positives 0.5, 0.9; negatives 0.2, 0.5: 0.5 vs 0.2 -> 1, 0.5 vs 0.5 -> 1/2,
        // 0.9 vs both -> 2; (1 + 0.5 + 2) / 4 = 0.875
        assertEquals(0.875, Metrics.auroc(new double[] {0.2, 0.5, 0.5, 0.9}, labels(0, 0, 1, 1)), EPS);
        assertEquals(0.875, Metrics.auroc(new float[] {0.2f, 0.5f, 0.5f, 0.9f}, labels(0, 0, 1, 1)), EPS);
        // -0.0 equals 0.0: a tie, not a win
        assertEquals(0.5, Metrics.auroc(new double[] {-0.0, 0.0}, labels(0, 1)), EPS);
        assertEquals(0.5, Metrics.auroc(new float[] {-0.0f, 0.0f}, labels(0, 1)), EPS);
    }

    @Test
    void aurocPerfectAndInverted() {
        double[] s = {-3, -1, 0, 2, 5, 7};
        assertEquals(1.0, Metrics.auroc(s, labels(0, 0, 0, 1, 1, 1)), EPS);
        assertEquals(0.0, Metrics.auroc(s, labels(1, 1, 1, 0, 0, 0)), EPS);
        float[] f = {Float.NEGATIVE_INFINITY, -1, 0, 2, 5, Float.POSITIVE_INFINITY};
        assertEquals(1.0, Metrics.auroc(f, labels(0, 0, 0, 1, 1, 1)), EPS);
        assertEquals(0.0, Metrics.auroc(f, labels(1, 1, 1, 0, 0, 0)), EPS);
    }

    @Test
    void aurocMatchesBruteForcePairCount() {
        Random rnd = new Random(42);
        for (int levels : new int[] {5, 50, 0}) { // 0 = continuous scores, few ties
            int n = 2000;
            double[] s = new double[n];
            float[] f = new float[n];
            boolean[] y = new boolean[n];
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextDouble() < 0.3;
                float v = (float) (rnd.nextGaussian() + (y[i] ? 0.7 : 0));
                if (levels > 0) {
                    v = Math.round(v * levels / 4f) / (float) levels; // coarse grid: many ties
                }
                f[i] = v;
                s[i] = v;
            }
            double wins = 0;
            long pairs = 0;
            for (int i = 0; i < n; i++) {
                if (!y[i]) continue;
                for (int j = 0; j < n; j++) {
                    if (y[j]) continue;
                    pairs++;
                    wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                }
            }
            double expected = wins / pairs;
            assertEquals(expected, Metrics.auroc(s, y), 1e-12, "levels " + levels);
            assertEquals(expected, Metrics.auroc(f, y), 1e-12, "levels " + levels);
        }
    }

    @Test
    void floatAndDoubleAgreeOn100k() {
        // 100k > radix threshold, so this exercises the radix path including negative keys
        Random rnd = new Random(1);
        int n = 100_000;
        float[] f = new float[n];
        double[] d = new double[n];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(10) == 0;
            f[i] = (float) (rnd.nextGaussian() * 3 + (y[i] ? 1 : 0));
            if (i % 7 == 0) f[i] = Math.round(f[i]); // some ties, including across classes
            d[i] = f[i];
        }
        double a = Metrics.auroc(d, y);
        assertEquals(a, Metrics.auroc(f, y), EPS);
        assertTrue(a > 0.55 && a < 0.7, "sanity: shifted by 1/3 sigma gives ~0.6, got " + a);
    }

    @Test
    void pixelAurocHandles10MillionPixels() {
        int n = 10_000_000;
        Random rnd = new Random(3);
        float[] f = new float[n];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(50) == 0;
            f[i] = rnd.nextFloat() + (y[i] ? 0.5f : 0f);
        }
        double a = Metrics.auroc(f, y);
        // U(0,1) + 0.5 vs U(0,1): P(X > Y) = 1 - 0.5^2 / 2 = 0.875
        assertEquals(0.875, a, 1e-3);
    }

    @Test
    void aurocRejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new double[] {0.1, 0.2}, labels(1, 1)));
        assertTrue(e.getMessage().contains("both classes"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new float[] {0.1f, 0.2f}, labels(0, 0)));
        e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new double[] {0.1, 0.2, 0.3}, labels(0, 1)));
        assertTrue(e.getMessage().contains("length"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new float[] {0.1f}, labels(0, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new double[] {Double.NaN, 0.2}, labels(0, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.auroc(new float[] {Float.NaN, 0.2f}, labels(0, 1)));
    }

    // ---------------------------------------------------------------------------------------
    // ROC curve

    @Test
    void rocCurveHasOnePointPerDistinctScore() {
        // scores 0.1(n) 0.4(n) 0.35(p) 0.8(p), P = N = 2, thresholds high to low:
        // inf: nothing flagged (0,0); 0.8: 1 TP (0, .5); 0.4: +1 FP (.5, .5);
        // 0.35: +1 TP (.5, 1); 0.1: +1 FP (1, 1)
        RocCurve c = Metrics.roc(new double[] {0.1, 0.4, 0.35, 0.8}, labels(0, 0, 1, 1));
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1}, c.thresholds());
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1}, c.fpr(), EPS);
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1}, c.tpr(), EPS);

        // tied scores enter together: 0.5 is one point moving diagonally (0,.5) -> (.5,1)
        c = Metrics.roc(new double[] {0.2, 0.5, 0.5, 0.9}, labels(0, 0, 1, 1));
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.9, 0.5, 0.2}, c.thresholds());
        assertArrayEquals(new double[] {0, 0, 0.5, 1}, c.fpr(), EPS);
        assertArrayEquals(new double[] {0, 0.5, 1, 1}, c.tpr(), EPS);
    }

    // ---------------------------------------------------------------------------------------
    // F1

    @Test
    void f1MaxHandChecked() {
        // P = 2. F1 = 2TP / (2TP + FP + FN):
        // t=0.8: TP1 FP0 FN1 -> 2/3; t=0.4: TP1 FP1 FN1 -> 2/4; t=0.35: TP2 FP1 FN0 -> 4/5;
        // t=0.1: TP2 FP2 -> 4/6. Best 0.8 at 0.35.
        double[] s = {0.1, 0.4, 0.35, 0.8};
        boolean[] y = labels(0, 0, 1, 1);
        assertEquals(0.8, Metrics.f1Max(s, y), EPS);
        assertEquals(0.35, Metrics.f1MaxThreshold(s, y), 0);
    }

    @Test
    void f1MaxTieKeepsHighestThreshold() {
        // P = 3. t=0.9: TP1 FP0 -> 2/(2+0+2) = .5; t=0.8: TP1 FP1 -> 2/5; t=0.7: TP2 FP1 -> 4/6;
        // t=0.6: 4/7; t=0.5: 4/8; t=0.4: TP3 FP3 -> 6/9 = 4/6 again. Best 2/3, first at 0.7.
        double[] s = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
        boolean[] y = labels(1, 0, 1, 0, 0, 1);
        assertEquals(2.0 / 3, Metrics.f1Max(s, y), EPS);
        assertEquals(0.7, Metrics.f1MaxThreshold(s, y), 0);
    }

    @Test
    void f1MaxEdgeCases() {
        // only anomalous samples: flag everything, F1 = 1
        assertEquals(1.0, Metrics.f1Max(new double[] {0.3, 0.1}, labels(1, 1)), EPS);
        assertEquals(0.1, Metrics.f1MaxThreshold(new double[] {0.3, 0.1}, labels(1, 1)), 0);
        // ties: two samples at 0.5 (one of each) can only be flagged together:
        // TP1 FP1 FN0 -> 2/3
        assertEquals(2.0 / 3, Metrics.f1Max(new double[] {0.5, 0.5}, labels(0, 1)), EPS);
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.f1Max(new double[] {0.3, 0.1}, labels(0, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.f1MaxThreshold(new double[] {0.3}, labels(0, 1)));
    }

    @Test
    void f1MaxMatchesBruteForce() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + rnd.nextInt(300);
            double[] s = new double[n];
            boolean[] y = new boolean[n];
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextBoolean();
                s[i] = rnd.nextInt(20) + (y[i] ? 3 : 0);
            }
            y[0] = true;
            double best = -1;
            double bestT = Double.NaN;
            TreeSet<Double> thresholds = new TreeSet<>();
            for (double v : s) thresholds.add(v);
            for (double t : thresholds.descendingSet()) {
                int tp = 0, fp = 0, fn = 0;
                for (int i = 0; i < n; i++) {
                    if (s[i] >= t && y[i]) tp++;
                    else if (s[i] >= t) fp++;
                    else if (y[i]) fn++;
                }
                double f1 = 2.0 * tp / (2.0 * tp + fp + fn);
                if (f1 > best) {
                    best = f1;
                    bestT = t;
                }
            }
            assertEquals(best, Metrics.f1Max(s, y), EPS);
            assertEquals(bestT, Metrics.f1MaxThreshold(s, y), 0);
        }
    }

    // ---------------------------------------------------------------------------------------
    // AUPRO

    /** 4x4 image from rows of 4 scores each. */
    private static float[] map(float... v) {
        assertEquals(16, v.length);
        return v;
    }

    private static boolean[] mask4(String rows) {
        String[] r = rows.split("/");
        boolean[] m = new boolean[16];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                m[y * 4 + x] = r[y].charAt(x) == '#';
            }
        }
        return m;
    }

    // Two 4x4 images. Image 1: region A = 2x2 top-left (area 4). Image 2: region B = left two
    // columns, all rows (area 8). Normal pixels: 12 + 8 = 20, so each adds 0.05 to FPR.
    private static final boolean[] MASK_1 = mask4("##../##../..../....");
    private static final boolean[] MASK_2 = mask4("##../##../##../##..");

    @Test
    void auproPerfectMapIsOne() {
        float[] m1 = new float[16];
        float[] m2 = new float[16];
        for (int p = 0; p < 16; p++) {
            m1[p] = MASK_1[p] ? 1 : 0;
            m2[p] = MASK_2[p] ? 1 : 0;
        }
        // curve (0,0) -> (0,1) at t=1 -> (1,1) at t=0: PRO is 1 over the whole FPR range
        assertEquals(1.0, Metrics.aupro(List.of(m1, m2), List.of(MASK_1, MASK_2), 4, 4, 0.3), EPS);
        assertEquals(1.0, Metrics.aupro(List.of(m1, m2), List.of(MASK_1, MASK_2), 4, 4, 1.0), EPS);
    }

    @Test
    void auproHandChecked() {
        // Image 1: A scores 0.9; two normal pixels 0.7; other 10 normals 0.
        float[] m1 = map(
                .9f, .9f, .7f, .7f,
                .9f, .9f, 0f, 0f,
                0f, 0f, 0f, 0f,
                0f, 0f, 0f, 0f);
        // Image 2: B rows 0-1 score 0.5, rows 2-3 score 0.2; four normals 0.3, four 0.
        float[] m2 = map(
                .5f, .5f, .3f, .3f,
                .5f, .5f, .3f, .3f,
                .2f, .2f, 0f, 0f,
                .2f, .2f, 0f, 0f);
        // Curve (FPR, PRO = mean of A and B overlap), thresholds high to low:
        //   start       (0,   0)
        //   t=0.9: A=1  (0,   0.5)
        //   t=0.7: +2 normals -> FPR 2/20   (0.1, 0.5)
        //   t=0.5: B=4/8 -> PRO (1+.5)/2    (0.1, 0.75)
        //   t=0.3: +4 normals -> FPR 6/20   (0.3, 0.75)
        //   t=0.2: B=1                      (0.3, 1)
        //   t=0:   all                      (1,   1)
        // limit 0.3: 0.1*0.5 + 0.2*0.75 = 0.2 -> 0.2/0.3 = 2/3
        // limit 0.2: 0.1*0.5 + 0.1*0.75 = 0.125 -> 0.125/0.2 = 0.625
        // limit 1:   0.2 + 0.7*1 = 0.9 -> 0.9
        List<float[]> maps = List.of(m1, m2);
        List<boolean[]> masks = List.of(MASK_1, MASK_2);
        assertEquals(2.0 / 3, Metrics.aupro(maps, masks, 4, 4, 0.3), EPS);
        assertEquals(0.625, Metrics.aupro(maps, masks, 4, 4, 0.2), EPS);
        assertEquals(0.9, Metrics.aupro(maps, masks, 4, 4, 1.0), EPS);
    }

    @Test
    void auproTiedNormalAndRegionPixelsMakeADiagonal() {
        // One image, region 2x2 (area 4): two pixels 0.8, two 0.4. Normals (12): three at
        // 0.4, nine at 0.1.
        boolean[] mask = mask4("##../##../..../....");
        float[] m = map(
                .8f, .8f, .4f, .4f,
                .4f, .4f, .4f, .1f,
                .1f, .1f, .1f, .1f,
                .1f, .1f, .1f, .1f);
        // t=0.8: (0, 0.5); t=0.4: region and 3 normals enter together -> (3/12, 1) in one
        // diagonal step; t=0.1: (1, 1).
        // limit 0.25: trapezoid 0.25 * (0.5 + 1)/2 = 0.1875 -> /0.25 = 0.75
        // limit 0.125: PRO at 0.125 interpolates to 0.75; 0.125 * (0.5 + 0.75)/2 = 0.078125
        //   -> /0.125 = 0.625
        assertEquals(0.75, Metrics.aupro(List.of(m), List.of(mask), 4, 4, 0.25), EPS);
        assertEquals(0.625, Metrics.aupro(List.of(m), List.of(mask), 4, 4, 0.125), EPS);

        // A defect-free image of 16 normals at 0.1 raises the normal count to 28:
        // t=0.8: (0, .5); t=0.4: (3/28, 1); t=0.1: (1, 1).
        // limit 0.25: 3/28 * 0.75 + (1/4 - 3/28) * 1 = 9/112 + 16/112 = 25/112 -> *4 = 25/28
        float[] clean = new float[16];
        Arrays.fill(clean, .1f);
        assertEquals(25.0 / 28, Metrics.aupro(List.of(m, clean), List.of(mask, new boolean[16]),
                4, 4, 0.25), EPS);
    }

    @Test
    void auproRegionsAre8Connected() {
        // Mask (0,0),(1,1) touch diagonally: one region of area 2; (3,0) is a second region.
        // Scores: the diagonal pair 0.9, (3,0) 0.1, the 13 normals 0.5.
        // t=0.9: PRO (1 + 0)/2 = 0.5 at FPR 0; t=0.5: (1, 0.5); t=0.1: (1, 1).
        // AUPRO = 0.5 for any limit. (With 4-connectivity: 3 regions, PRO 2/3.)
        boolean[] mask = mask4("#..#/.#../..../....");
        float[] m = new float[16];
        Arrays.fill(m, .5f);
        m[0] = .9f;
        m[5] = .9f;
        m[3] = .1f;
        assertEquals(0.5, Metrics.aupro(List.of(m), List.of(mask), 4, 4, 1.0), EPS);
        assertEquals(0.5, Metrics.aupro(List.of(m), List.of(mask), 4, 4, 0.3), EPS);
    }

    @Test
    void auproMatchesThresholdSweepOnRandomImages() {
        Random rnd = new Random(11);
        int w = 16;
        int h = 16;
        for (int trial = 0; trial < 30; trial++) {
            List<float[]> maps = new ArrayList<>();
            List<boolean[]> masks = new ArrayList<>();
            int levels = trial % 3 == 0 ? 0 : 4 + rnd.nextInt(40); // 0 = continuous
            for (int k = 0; k < 3; k++) {
                boolean[] mask = new boolean[w * h];
                if (k != 1 || trial % 2 == 0) { // image 1 is defect-free in odd trials
                    int blobs = 1 + rnd.nextInt(4);
                    for (int b = 0; b < blobs; b++) {
                        int x0 = rnd.nextInt(w), y0 = rnd.nextInt(h);
                        int x1 = Math.min(w, x0 + 1 + rnd.nextInt(6));
                        int y1 = Math.min(h, y0 + 1 + rnd.nextInt(6));
                        for (int y = y0; y < y1; y++) {
                            for (int x = x0; x < x1; x++) {
                                mask[y * w + x] = true;
                            }
                        }
                    }
                    for (int s = 0; s < 5; s++) { // stray single pixels: extra small regions
                        mask[rnd.nextInt(w * h)] = true;
                    }
                }
                float[] map = new float[w * h];
                for (int p = 0; p < map.length; p++) {
                    float v = (float) (rnd.nextGaussian() + (mask[p] ? 1.2 : 0));
                    map[p] = levels == 0 ? v : Math.round(v * levels / 4f) / (float) levels;
                }
                maps.add(map);
                masks.add(mask);
            }
            for (double limit : new double[] {0.3, 1.0, 0.05, 0.5}) {
                double expected = bruteForceAupro(maps, masks, w, h, limit);
                assertEquals(expected, Metrics.aupro(maps, masks, w, h, limit), 1e-9,
                        "trial " + trial + " limit " + limit);
            }
        }
    }

    @Test
    void auproMatchesThresholdSweepAtRadixScale() {
        // 40 images of 64x64: enough normal and defect pixels for the radix paths, negative
        // scores included; few distinct levels keep the brute force cheap.
        Random rnd = new Random(17);
        int w = 64;
        int h = 64;
        List<float[]> maps = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            boolean[] mask = new boolean[w * h];
            if (k % 4 != 3) {
                int x0 = rnd.nextInt(40), y0 = rnd.nextInt(40);
                int x1 = x0 + 5 + rnd.nextInt(20), y1 = y0 + 5 + rnd.nextInt(20);
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        mask[y * w + x] = true;
                    }
                }
            }
            float[] map = new float[w * h];
            for (int p = 0; p < map.length; p++) {
                map[p] = Math.round((rnd.nextGaussian() + (mask[p] ? 1.5 : 0)) * 8) / 8f;
            }
            maps.add(map);
            masks.add(mask);
        }
        for (double limit : new double[] {0.3, 1.0}) {
            assertEquals(bruteForceAupro(maps, masks, w, h, limit),
                    Metrics.aupro(maps, masks, w, h, limit), 1e-9, "limit " + limit);
        }
    }

    @Test
    void radixSortsMatchJdkSort() {
        Random rnd = new Random(13);
        int n = 200_000;
        int[] ints = new int[n];
        long[] longs = new long[n];
        for (int i = 0; i < n; i++) {
            ints[i] = i % 3 == 0 ? rnd.nextInt(200) - 100 : rnd.nextInt(); // dense ties and full range
            longs[i] = ((long) ints[i] << 32) | (rnd.nextInt() & 0xFFFFFFFFL);
        }
        int[] expected = ints.clone();
        Arrays.sort(expected);
        Metrics.sortInts(ints);
        assertArrayEquals(expected, ints);

        long[] all = longs.clone();
        Metrics.sortByHighInt(longs);
        for (int i = 1; i < n; i++) {
            assertTrue((int) (longs[i - 1] >> 32) <= (int) (longs[i] >> 32), "order at " + i);
        }
        long[] sorted = longs.clone(); // same multiset: nothing lost or duplicated
        Arrays.sort(sorted);
        Arrays.sort(all);
        assertArrayEquals(all, sorted);
    }

    @Test
    void floatKeyPreservesFloatOrder() {
        float[] special = {Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, -1f, -Float.MIN_VALUE, -0f, 0f,
                Float.MIN_VALUE, Float.MIN_NORMAL, 1f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        Random rnd = new Random(19);
        float[] v = new float[special.length + 2000];
        System.arraycopy(special, 0, v, 0, special.length);
        for (int i = special.length; i < v.length; i++) {
            v[i] = i % 2 == 0 ? (float) rnd.nextGaussian() : Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(v[i])) v[i] = 0;
        }
        for (float a : v) {
            for (int j = 0; j < 50; j++) {
                float b = v[rnd.nextInt(v.length)];
                int floatOrder = a < b ? -1 : a > b ? 1 : 0; // -0 == 0
                assertEquals(floatOrder, Integer.signum(Integer.compare(
                        Metrics.floatKey(a, 0), Metrics.floatKey(b, 0))), a + " vs " + b);
            }
        }
    }

    @Test
    void auproHandles10MillionPixels() {
        // 200 images of 224x224 = 10,035,200 pixels, half with a rectangular defect
        int w = 224;
        int h = 224;
        Random rnd = new Random(9);
        List<float[]> maps = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
            boolean[] mask = new boolean[w * h];
            if (k % 2 == 0) {
                int x0 = rnd.nextInt(180), y0 = rnd.nextInt(180);
                for (int y = y0; y < y0 + 40; y++) {
                    for (int x = x0; x < x0 + 40; x++) {
                        mask[y * w + x] = true;
                    }
                }
            }
            float[] map = new float[w * h];
            for (int p = 0; p < map.length; p++) {
                map[p] = rnd.nextFloat() + (mask[p] ? 0.5f : 0f);
            }
            maps.add(map);
            masks.add(mask);
        }
        double a = Metrics.aupro(maps, masks, w, h, 0.3);
        // Every region pixel is U(0.5, 1.5), normals U(0, 1): FPR(t) = 1 - t, PRO(t) = 1.5 - t
        // for t in [0.5, 1]; so on FPR in [0, 0.3] PRO = 0.5 + FPR and AUPRO = 0.5 + 0.15 = 0.65.
        assertEquals(0.65, a, 5e-3);
    }

    @Test
    void auproRejectsBadInput() {
        float[] m = new float[16];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(m), List.of(new boolean[16]), 4, 4, 0.3));
        assertTrue(e.getMessage().contains("region"), e.getMessage());
        boolean[] all = new boolean[16];
        Arrays.fill(all, true);
        e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(m), List.of(all), 4, 4, 0.3));
        assertTrue(e.getMessage().contains("normal"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(m), List.of(MASK_1), 4, 4, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(m), List.of(MASK_1), 4, 4, 1.5));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(m), List.of(MASK_1, MASK_2), 4, 4, 0.3));
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(new float[15]), List.of(MASK_1), 4, 4, 0.3));
        float[] nan = new float[16];
        nan[7] = Float.NaN;
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.aupro(List.of(nan), List.of(MASK_1), 4, 4, 0.3));
    }

    /**
     * Reference AUPRO: for every distinct score as threshold, count directly; regions by a
     * recursive 8-connected flood fill (independent of ConnectedComponents).
     */
    private static double bruteForceAupro(List<float[]> maps, List<boolean[]> masks, int w, int h,
            double limit) {
        List<int[]> regions = new ArrayList<>(); // pixel indices into image k, tagged below
        List<Integer> regionImage = new ArrayList<>();
        int normals = 0;
        TreeSet<Float> scores = new TreeSet<>();
        for (int k = 0; k < maps.size(); k++) {
            boolean[] mask = masks.get(k);
            int[] seen = new int[w * h];
            for (int p = 0; p < w * h; p++) {
                scores.add(maps.get(k)[p] + 0.0f);
                if (!mask[p]) {
                    normals++;
                } else if (seen[p] == 0) {
                    List<Integer> pixels = new ArrayList<>();
                    flood(mask, seen, w, h, p % w, p / w, pixels);
                    regions.add(pixels.stream().mapToInt(Integer::intValue).toArray());
                    regionImage.add(k);
                }
            }
        }
        List<double[]> curve = new ArrayList<>();
        curve.add(new double[] {0, 0});
        for (float t : scores.descendingSet()) {
            int fp = 0;
            for (int k = 0; k < maps.size(); k++) {
                for (int p = 0; p < w * h; p++) {
                    if (!masks.get(k)[p] && maps.get(k)[p] >= t) fp++;
                }
            }
            double pro = 0;
            for (int r = 0; r < regions.size(); r++) {
                float[] map = maps.get(regionImage.get(r));
                int hit = 0;
                for (int p : regions.get(r)) {
                    if (map[p] >= t) hit++;
                }
                pro += (double) hit / regions.get(r).length;
            }
            curve.add(new double[] {(double) fp / normals, pro / regions.size()});
        }
        double area = 0;
        for (int i = 1; i < curve.size(); i++) {
            double f0 = curve.get(i - 1)[0], p0 = curve.get(i - 1)[1];
            double f1 = curve.get(i)[0], p1 = curve.get(i)[1];
            if (f0 >= limit) break;
            if (f1 <= limit) {
                area += (f1 - f0) * (p0 + p1) / 2;
            } else {
                double pAt = p0 + (p1 - p0) * (limit - f0) / (f1 - f0);
                area += (limit - f0) * (p0 + pAt) / 2;
            }
        }
        return area / limit;
    }

    private static void flood(boolean[] mask, int[] seen, int w, int h, int x, int y, List<Integer> out) {
        if (x < 0 || y < 0 || x >= w || y >= h || !mask[y * w + x] || seen[y * w + x] != 0) return;
        seen[y * w + x] = 1;
        out.add(y * w + x);
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                flood(mask, seen, w, h, x + dx, y + dy, out);
            }
        }
    }
}
