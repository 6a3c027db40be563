package dev.kensa.post;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class GaussianBlurTest {

    @Test
    void sigmaFourKernelIs33TapsOfTheNormalisedGaussian() {
        GaussianBlur blur = new GaussianBlur(4);
        assertEquals(33, blur.kernelSize()); // 2 * int(4 * 4 + 0.5) + 1
        float[] k = blur.kernel();
        double sum = 0;
        for (int i = -16; i <= 16; i++) {
            sum += Math.exp(-i * i / 32.0);
        }
        for (int i = -16; i <= 16; i++) {
            assertEquals(Math.exp(-i * i / 32.0) / sum, k[i + 16], 1e-7, "tap " + i);
        }
        // hand values: centre 1/sum, sum = 10.0265 (sqrt(2 pi) * 4 = 10.0265 for a continuous Gaussian)
        assertEquals(0.099736, k[16], 1e-5);
    }

    @Test
    void reflectRepeatsTheEdgePixel() {
        // BORDER_REFLECT: fedcba|abcdefgh|hgfedcb
        int[] expected = {2, 1, 0, 0, 1, 2, 3, 4, 4, 3, 2};
        for (int i = -3; i <= 7; i++) {
            assertEquals(expected[i + 3], GaussianBlur.reflect(i, 5), "index " + i);
        }
    }

    @Test
    void smallKernelByHand() {
        // sigma 0.5 -> radius int(2.5) = 2, weights exp(-x^2/0.5) at x = 0,1,2: 1, e^-2, e^-8
        GaussianBlur blur = new GaussianBlur(0.5);
        double w0 = 1, w1 = Math.exp(-2), w2 = Math.exp(-8), s = w0 + 2 * w1 + 2 * w2;
        // one row [1, 0, 0, 0]: reflected row ... 0 1 | 1 0 0 0 | 0 0 ...
        float[] out = blur.apply(new float[]{1, 0, 0, 0}, 4, 1);
        // x=0 sees indices -2..2 -> 1,0,0,0,0 -> values 0,1,1,0,0 : w1 (at -1 -> 0) + w0 ... compute explicitly
        double x0 = (w2 * 0 + w1 * 1 + w0 * 1 + w1 * 0 + w2 * 0) / s; // reflect(-2)=1 ->0, reflect(-1)=0 ->1
        double x1 = (w2 * 1 + w1 * 1 + w0 * 0 + w1 * 0 + w2 * 0) / s; // -1 -> 0 -> 1, 0 -> 1
        double x2 = (w2 * 1 + w1 * 0 + w0 * 0 + w1 * 0 + w2 * 0) / s;
        // vertical pass over a single row reflects onto itself: sum of weights = 1
        assertEquals(x0, out[0], 1e-6);
        assertEquals(x1, out[1], 1e-6);
        assertEquals(x2, out[2], 1e-6);
        assertEquals(0, out[3], 1e-6);
    }

    @Test
    void separableBlurEqualsBruteForce2dConvolution() {
        Random r = new Random(2);
        int w = 23, h = 17;
        float[] img = new float[w * h];
        for (int i = 0; i < img.length; i++) {
            img[i] = r.nextFloat() * 10;
        }
        double sigma = 1.5;
        GaussianBlur blur = new GaussianBlur(sigma);
        float[] k = blur.kernel();
        int rad = k.length / 2;
        float[] fast = blur.apply(img, w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int dy = -rad; dy <= rad; dy++) {
                    for (int dx = -rad; dx <= rad; dx++) {
                        s += k[dy + rad] * k[dx + rad] * img[GaussianBlur.reflect(y + dy, h) * w + GaussianBlur.reflect(x + dx, w)];
                    }
                }
                assertEquals(s, fast[y * w + x], 1e-4, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void constantMapStaysConstant() {
        float[] img = new float[224 * 224];
        java.util.Arrays.fill(img, 3.25f);
        float[] out = new GaussianBlur(4).apply(img, 224, 224);
        for (float v : out) {
            assertEquals(3.25f, v, 1e-5f);
        }
    }

    @Test
    void bilinearHalfPixelCentresByHand() {
        // 1x2 -> 1x4, align_corners=False: src x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp
        float[] out = Bilinear.resize(new float[]{0, 4}, 2, 1, 4, 1);
        assertArrayEquals(new float[]{0, 1, 3, 4}, out, 1e-6f);
        // 2x2 -> 4x4 centre values are bilinear blends
        float[] grid = Bilinear.resize(new float[]{0, 4, 8, 12}, 2, 2, 4, 4);
        assertEquals(0, grid[0], 1e-6);
        assertEquals(0.25 * 0 + 0.75 * 4 + 0, grid[2], 1e-6); // row 0 (clamped), x = 0.75 -> 3
        assertEquals(12, grid[15], 1e-6);
        // (1,1): y = x = 0.25: top = 0 + 4 * 0.25 = 1, bottom = 8 + 4 * 0.25 = 9, 1 + (9 - 1) * 0.25 = 3
        assertEquals(3, grid[5], 1e-6);
    }
}
