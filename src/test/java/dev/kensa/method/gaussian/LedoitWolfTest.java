package dev.kensa.method.gaussian;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Ledoit-Wolf against scikit-learn's LedoitWolf on the same data. */
class LedoitWolfTest {
    /*
     * Made with scikit-learn 1.x:
     *   rng = np.random.default_rng(7); X = rng.normal(size=(12, 5)); X[:, 1] += 0.8 * X[:, 0]; X[:, 4] *= 3
     *   X = X.astype(np.float32).astype(np.float64); lw = LedoitWolf().fit(X)
     *   lw.shrinkage_, lw.covariance_[np.tril_indices(5)]
     */
    static final float[] X = {0.00123015337f, 0.299729675f, -0.274137855f, -0.89059186f, -1.36401236f, -0.991646528f,
            -0.733173668f, 1.34021521f, -0.492206514f, -1.86142468f, 0.489842057f, 0.748760641f, 0.105414249f, -0.930468023f,
            -0.087755464f, 0.695303202f, -0.787971973f, -0.457615763f, -1.90122271f, -3.86861324f, -1.84173501f, -1.70847917f,
            -1.26744652f, 0.271264344f, 0.470253259f, -0.18693094f, -2.66630435f, -0.538692892f, -0.0485009439f, 0.339926958f,
            -1.53013575f, -1.70186186f, -0.978519082f, -0.808837235f, 3.18269587f, -0.807534695f, -0.678549469f, 0.884389877f,
            -0.583600461f, -0.335105836f, 0.110464141f, 0.15215309f, -1.22505581f, 0.0761402324f, 4.07647038f, -1.54714465f,
            -0.378333062f, 0.119354025f, -0.641470373f, 6.00124979f, 0.762259722f, -0.589481115f, 0.0745162293f, 0.576689601f,
            -0.566346347f, 0.682910264f, 0.479810894f, 0.667247534f, 1.43852258f, -2.02698684f};
    static final double SHRINKAGE = 0.2778632884950705;
    static final double[] COVARIANCE = {1.1821307454606689, 0.31291091308081, 1.2443676301169797, 0.07683688279444076,
            0.18710300619409595, 1.023110805632963, 0.05931084684144978, 0.02759064065859206, 0.038440082051226086,
            1.0605601298837506, -0.9444416813376535, -0.16567180742803755, -0.5843412480556578, 0.10933203837339203,
            5.785557058548061};

    @Test
    void matchesScikitLearn() {
        LedoitWolf.Estimate e = LedoitWolf.estimate(X, 12, 5, null);
        assertEquals(SHRINKAGE, e.shrinkage(), 1e-9);
        for (int i = 0; i < COVARIANCE.length; i++) {
            assertEquals(COVARIANCE[i], e.covariance()[i], 1e-9, "packed entry " + i);
        }
    }

    @Test
    void aSubsetOfRowsIsTheFitOfThoseRows() {
        int[] rows = {0, 2, 3, 5, 6, 7, 9, 11};
        float[] sub = new float[rows.length * 5];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(X, rows[i] * 5, sub, i * 5, 5);
        }
        LedoitWolf.Estimate a = LedoitWolf.estimate(X, 12, 5, rows);
        LedoitWolf.Estimate b = LedoitWolf.estimate(sub, rows.length, 5, null);
        assertEquals(b.shrinkage(), a.shrinkage(), 1e-12);
        for (int i = 0; i < a.covariance().length; i++) {
            assertEquals(b.covariance()[i], a.covariance()[i], 1e-12);
        }
    }
}
