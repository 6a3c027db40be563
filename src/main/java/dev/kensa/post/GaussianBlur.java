package dev.kensa.post;

/**
 * Separable Gaussian blur of a float map with OpenCV's BORDER_REFLECT (SciPy "reflect"): the edge pixel is
 * repeated, "fedcba|abcdefgh|hgfedcb". Kernel size 2*int(4*sigma+0.5)+1 as PaDiM/anomalib use, weights
 * exp(-x^2 / 2 sigma^2) normalised to sum 1.
 */
public final class GaussianBlur {
    private final float[] kernel;
    private final int radius;

    public GaussianBlur(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("sigma must be positive, got " + sigma);
        }
        this.radius = (int) (4 * sigma + 0.5);
        this.kernel = kernel(sigma, radius);
    }

    /** The normalised 1-D kernel of size 2*radius+1. */
    static float[] kernel(double sigma, int radius) {
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-(i * (double) i) / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        float[] out = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            out[i] = (float) (k[i] / sum);
        }
        return out;
    }

    public int kernelSize() {
        return kernel.length;
    }

    public float[] kernel() {
        return kernel.clone();
    }

    /** Reflect index i into [0, n) with the edge repeated (BORDER_REFLECT). */
    static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        while (i < 0 || i >= n) {
            i = i < 0 ? -i - 1 : 2 * n - i - 1;
        }
        return i;
    }

    /** Blurs {@code src} (height x width, row-major) into a new array. */
    public float[] apply(float[] src, int width, int height) {
        float[] tmp = new float[width * height];
        float[] dst = new float[width * height];
        apply(src, width, height, tmp, dst);
        return dst;
    }

    /** Blurs into {@code dst} using {@code tmp} as scratch; both width*height. */
    public void apply(float[] src, int width, int height, float[] tmp, float[] dst) {
        int r = radius;
        float[] k = kernel;
        // horizontal pass: interior without index arithmetic, borders reflected
        for (int y = 0; y < height; y++) {
            int row = y * width;
            for (int x = 0; x < width; x++) {
                float acc = 0;
                if (x - r >= 0 && x + r < width) {
                    int base = row + x - r;
                    for (int t = 0; t < k.length; t++) {
                        acc += k[t] * src[base + t];
                    }
                } else {
                    for (int t = -r; t <= r; t++) {
                        acc += k[t + r] * src[row + reflect(x + t, width)];
                    }
                }
                tmp[row + x] = acc;
            }
        }
        // vertical pass, row-wise so the inner loop runs along contiguous memory
        java.util.Arrays.fill(dst, 0, width * height, 0f);
        for (int y = 0; y < height; y++) {
            int out = y * width;
            for (int t = -r; t <= r; t++) {
                int in = reflect(y + t, height) * width;
                float w = k[t + r];
                for (int x = 0; x < width; x++) {
                    dst[out + x] += w * tmp[in + x];
                }
            }
        }
    }
}
