package dev.kensa.score;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Vector API kernel must give the scalar kernel's distances, for every batch size and both dtypes. */
class VectorMahalanobisScorerTest {

    static GaussianStats randomStats(Random r, int gh, int gw, int d) {
        int p = gh * gw;
        int packed = GaussianStats.packedSize(d);
        float[] mean = new float[p * d];
        float[] w = new float[p * packed];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) r.nextGaussian();
        }
        for (int pos = 0; pos < p; pos++) {
            for (int i = 0, row = pos * packed; i < d; row += ++i) {
                for (int j = 0; j <= i; j++) {
                    w[row + j] = (float) (j == i ? 1 + r.nextDouble() : 0.3 * r.nextGaussian());
                }
            }
        }
        return GaussianStats.ofFloat32(gh, gw, d, mean, w);
    }

    @Test
    void vectorKernelMatchesScalarForAllBatchSizes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(MahalanobisScorers.cpuKernel().equals("vector"), MahalanobisScorers.cpuKernelReason());
        Random r = new Random(9);
        GaussianStats stats = randomStats(r, 5, 7, 100);
        for (GaussianStats s : new GaussianStats[]{stats, stats.toFloat16()}) {
            for (int batch : new int[]{1, 3, 8, 11, 16, 17}) {
                float[] x = new float[batch * s.positions() * s.dims()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] a = new float[batch * s.positions()];
                float[] b = new float[batch * s.positions()];
                try (MahalanobisScorer scalar = MahalanobisScorers.scalar(s, 2); MahalanobisScorer vector = MahalanobisScorers.vector(s, 2)) {
                    scalar.score(x, batch, a);
                    vector.score(x, batch, b);
                }
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-4 * a[i], s.dtype() + " batch " + batch + " value " + i);
                }
            }
        }
    }

    @Test
    void vectorHalfExpansionIsExactForEveryFiniteHalf() {
        org.junit.jupiter.api.Assumptions.assumeTrue(MahalanobisScorers.cpuKernel().equals("vector"), MahalanobisScorers.cpuKernelReason());
        short[] all = new short[65536];
        int n = 0;
        for (int i = 0; i < 65536; i++) {
            if (((i >>> 10) & 0x1f) != 0x1f) { // finite: zero, subnormal, normal, both signs
                all[n++] = (short) i;
            }
        }
        float[] out = new float[n];
        VectorMahalanobisScorer.expandHalf(all, 0, out, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(HalfFloat.toFloat(all[i])), Float.floatToRawIntBits(out[i]),
                    "half bits " + Integer.toHexString(all[i] & 0xffff));
        }
    }

    @Test
    void surefireRunsWithTheVectorModuleSoTheFastPathIsTested() {
        // the build's argLine adds jdk.incubator.vector; if this fails the vector kernel above was not exercised
        assertEquals("vector", MahalanobisScorers.cpuKernel(), MahalanobisScorers.cpuKernelReason());
    }
}
