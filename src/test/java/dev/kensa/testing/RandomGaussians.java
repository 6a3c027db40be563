package dev.kensa.testing;

import dev.kensa.score.GaussianStats;

import java.util.Random;

/** Random but well-formed Gaussian statistics for file-format tests: means around 0, factors with a positive diagonal. */
public final class RandomGaussians {
    private RandomGaussians() {
    }

    public static GaussianStats stats(long seed, int gridH, int gridW, int d) {
        Random rnd = new Random(seed);
        int positions = gridH * gridW;
        float[] mean = new float[positions * d];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) rnd.nextGaussian();
        }
        int packed = GaussianStats.packedSize(d);
        float[] factor = new float[positions * packed];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    factor[p * packed + i * (i + 1) / 2 + j] = i == j ? 0.5f + rnd.nextFloat() : (float) rnd.nextGaussian() * 0.3f;
                }
            }
        }
        return GaussianStats.ofFloat32(gridH, gridW, d, mean, factor);
    }
}
