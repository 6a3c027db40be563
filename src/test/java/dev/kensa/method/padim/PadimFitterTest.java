package dev.kensa.method.padim;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PaDiM's seeded choices (channel subset, k-fold split) and its exact leave-one-out calibration. */
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
        int[] folds = dev.kensa.method.HeldOutPlan.assignFolds(209, 5, 42);
        int[] counts = new int[5];
        for (int f : folds) {
            counts[f]++;
        }
        for (int c : counts) {
            org.junit.jupiter.api.Assertions.assertTrue(c == 41 || c == 42, "fold size " + c);
        }
    }

    /** Held-out scores of n random images (two layers, 4x4 grid) under a plan. */
    static double[] heldOut(HeldOutPlan plan, int n) {
        Random r = new Random(17);
        List<LayerShape> shapes = List.of(new LayerShape("a", 6, 4, 4), new LayerShape("b", 4, 2, 2));
        // a linear functional of the whole map: every position's distance counts
        FitContext.MapScore score = (d, off) -> {
            double s = 0;
            for (int p = 0; p < 16; p++) {
                s += d[off + p] * (p + 1);
            }
            return s;
        };
        MethodOptions o = new MethodOptions(7, 42, 0.01, 0.01, 128, 9, false, 1L << 30);
        try (MethodFitter f = new PadimFitter(new FitContext(shapes, n, o, plan, 1, score, FitContext.ProgressFactory.SILENT))) {
            for (int i = 0; i < n; i++) {
                f.add(new FeatureMaps(1, List.of(layer("a", 6, 4, r), layer("b", 4, 2, r))), new int[]{i});
            }
            f.finish();
            return f.heldOut(k -> { }).scores();
        }
    }

    static FeatureMaps.Layer layer(String name, int c, int side, Random r) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * c * side * side).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < c * side * side; i++) {
            b.put(i, (float) (r.nextGaussian() + (i % 3)));
        }
        return new FeatureMaps.Layer(name, c, side, side, b);
    }

    @Test
    void leaveOneOutEqualsRefittingWithoutEachImage() {
        int n = 9;
        double[] loo = heldOut(HeldOutPlan.loo(), n);
        double[] refit = heldOut(HeldOutPlan.kfold(n), n); // k = n: every fold is one image, a brute-force refit
        for (int i = 0; i < n; i++) {
            assertEquals(refit[i], loo[i], 1e-4 * refit[i], "image " + i);
        }
    }
}
