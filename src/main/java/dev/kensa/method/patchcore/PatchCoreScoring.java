package dev.kensa.method.patchcore;

import dev.kensa.score.NearestNeighbours;

/**
 * PatchCore's image score (Roth et al. 2022, eq. 7, as anomalib computes it): the largest patch distance s* of the
 * image, weighted by how unusual its nearest bank patch m* is among its own neighbours. With N_b(m*) the b bank rows
 * nearest to m* (m* itself first), w = 1 - exp(||x* - m*||) / sum_{m in N_b(m*)} exp(||x* - m||) and the score is
 * w * s*: a test patch far from a bank patch that sits in a dense region of the bank scores higher than one far from
 * an isolated (rare) bank patch. With b = 1 the score is s*.
 */
final class PatchCoreScoring {
    private PatchCoreScoring() {
    }

    /**
     * @param embedding  patch features [..][P][D]; this image's start at {@code offset}
     * @param distances  this image's nearest-neighbour distances, [P] at {@code dOffset}
     * @param nearest    the bank row of each patch's nearest neighbour, [P] at {@code dOffset}
     * @param excludeFrom bank rows [excludeFrom, excludeTo) are not part of the bank (held-out scoring); 0, 0 for none
     */
    static double imageScore(float[] embedding, int offset, float[] distances, int[] nearest, int dOffset, int positions,
                             float[] bank, int rows, int dims, int neighbours, int excludeFrom, int excludeTo) {
        int worst = 0;
        for (int p = 1; p < positions; p++) {
            if (distances[dOffset + p] > distances[dOffset + worst]) {
                worst = p;
            }
        }
        double sStar = distances[dOffset + worst];
        if (neighbours <= 1) {
            return sStar;
        }
        int mStar = nearest[dOffset + worst];
        int[] support = nearestRows(bank, rows, dims, mStar, neighbours, excludeFrom, excludeTo);
        int xo = offset + worst * dims;
        double d0 = Math.sqrt(NearestNeighbours.squaredDistance(embedding, xo, bank, support[0] * dims, dims));
        double sum = 0;
        for (int row : support) {
            double d = Math.sqrt(NearestNeighbours.squaredDistance(embedding, xo, bank, row * dims, dims));
            sum += Math.exp(d - d0); // softmax term of row, relative to the first one's: no overflow
        }
        double weight = 1 - 1 / sum;
        return weight * sStar;
    }

    /** The k bank rows nearest to row {@code of} (itself first), skipping rows [excludeFrom, excludeTo). */
    static int[] nearestRows(float[] bank, int rows, int dims, int of, int k, int excludeFrom, int excludeTo) {
        int kk = Math.min(k, rows - (excludeTo - excludeFrom));
        int[] best = new int[kk];
        double[] bestD = new double[kk];
        java.util.Arrays.fill(bestD, Double.POSITIVE_INFINITY);
        for (int m = 0; m < rows; m++) {
            if (m >= excludeFrom && m < excludeTo) {
                continue;
            }
            double d = NearestNeighbours.squaredDistance(bank, of * dims, bank, m * dims, dims);
            if (d < bestD[kk - 1] || (d == bestD[kk - 1] && m == of)) {
                int i = kk - 1;
                while (i > 0 && (bestD[i - 1] > d || (bestD[i - 1] == d && m == of))) {
                    bestD[i] = bestD[i - 1];
                    best[i] = best[i - 1];
                    i--;
                }
                bestD[i] = d;
                best[i] = m;
            }
        }
        return best;
    }
}
