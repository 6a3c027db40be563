package dev.kensa.method.patchcore;

import dev.kensa.score.NearestNeighbours;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The image score against the paper's formula written out with a softmax, and its b = 1 case. */
class PatchCoreScoringTest {

    @Test
    void reweightingIsOneMinusTheSoftmaxOfTheNearestSupportRow() {
        Random r = new Random(9);
        int rows = 60, dims = 8, positions = 12, b = 5;
        float[] bank = new float[rows * dims];
        float[] patches = new float[positions * dims];
        for (int i = 0; i < bank.length; i++) {
            bank[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < patches.length; i++) {
            patches[i] = (float) r.nextGaussian() * 1.5f;
        }
        float[] dist = new float[positions];
        int[] nn = new int[positions];
        try (NearestNeighbours search = new NearestNeighbours(bank, rows, dims, 1)) {
            search.search(patches, positions, dist, nn);
        }
        int worst = 0;
        for (int p = 1; p < positions; p++) {
            worst = dist[p] > dist[worst] ? p : worst;
        }
        int[] support = NearestNeighbours.nearest(bank, rows, dims, bank, nn[worst] * dims, b);
        assertEquals(nn[worst], support[0]);
        double[] d = new double[b];
        double sum = 0;
        for (int j = 0; j < b; j++) {
            d[j] = Math.sqrt(NearestNeighbours.squaredDistance(patches, worst * dims, bank, support[j] * dims, dims));
            sum += Math.exp(d[j]);
        }
        double expected = (1 - Math.exp(d[0]) / sum) * dist[worst];
        double score = PatchCoreScoring.imageScore(patches, 0, dist, nn, 0, positions, bank, rows, dims, b, 0, 0);
        assertEquals(expected, score, 1e-6 * expected);
        assertTrue(score < dist[worst] && score > 0);
        assertEquals(dist[worst], PatchCoreScoring.imageScore(patches, 0, dist, nn, 0, positions, bank, rows, dims, 1, 0, 0), 0);
    }

    @Test
    void supportRowsSkipTheExcludedRange() {
        Random r = new Random(1);
        int rows = 30, dims = 4;
        float[] bank = new float[rows * dims];
        for (int i = 0; i < bank.length; i++) {
            bank[i] = (float) r.nextGaussian();
        }
        int[] s = PatchCoreScoring.nearestRows(bank, rows, dims, 3, 6, 10, 20);
        assertEquals(3, s[0]);
        for (int row : s) {
            assertTrue(row < 10 || row >= 20, "row " + row + " is excluded");
        }
    }
}
