package dev.kensa.post;

/**
 * Separable Gaussian blur of a float map with OpenCV's BORDER_REFLECT (SciPy "reflect"): the edge pixel is
 * repeated, "fedcba|abcdefgh|hgfedcb". Kernel size 2*int(4*sigma+0.5)+1 as PaDiM/anomalib use, weights
 * exp(-x^2 / 2 sigma^2) normalised to sum 1.
 */
public final class GaussianBlur {
    /** The JDK 17 JIT does not vectorise the row multiply-add (its arrays may alias), so we do it explicitly. */
    private static final boolean VECTOR = dev.kensa.util.Simd.available();

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
        float[] dst = new float[width * height];
        apply(src, width, height, dst, new float[width * height], new float[width * height]);
        return dst;
    }

    /**
     * Blurs into {@code dst} with two scratch arrays of width*height. Both passes run as vertical passes (the
     * horizontal one on the transposed image), because a vertical pass is a sum of scaled rows: contiguous
     * multiply-adds the JIT turns into SIMD, where a horizontal pass is a dot product per pixel that it does not.
     */
    public void apply(float[] src, int width, int height, float[] dst, float[] scratchA, float[] scratchB) {
        vertical(src, width, height, scratchA);           // columns blurred
        transpose(scratchA, width, height, scratchB);     // now height x width -> width rows of height
        vertical(scratchB, height, width, scratchA);      // rows blurred (as columns of the transpose)
        transpose(scratchA, height, width, dst);
    }

    /** out(y, .) = sum_t k[t] * in(reflect(y + t), .) for an image of {@code rows} rows of {@code cols}. */
    private void vertical(float[] in, int cols, int rows, float[] out) {
        int r = radius;
        float[] k = kernel;
        for (int y = 0; y < rows; y++) {
            int o = y * cols;
            java.util.Arrays.fill(out, o, o + cols, 0f);
            for (int t = -r; t <= r; t++) {
                int i = reflect(y + t, rows) * cols;
                float w = k[t + r];
                if (VECTOR) {
                    VectorRows.axpy(w, in, i, out, o, cols);
                } else {
                    for (int x = 0; x < cols; x++) {
                        out[o + x] += w * in[i + x];
                    }
                }
            }
        }
    }

    /** {@code in} is rows x cols; {@code out} becomes cols x rows. Blocked for cache locality. */
    static void transpose(float[] in, int cols, int rows, float[] out) {
        final int b = 16;
        for (int y0 = 0; y0 < rows; y0 += b) {
            int y1 = Math.min(rows, y0 + b);
            for (int x0 = 0; x0 < cols; x0 += b) {
                int x1 = Math.min(cols, x0 + b);
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        out[x * rows + y] = in[y * cols + x];
                    }
                }
            }
        }
    }
}
