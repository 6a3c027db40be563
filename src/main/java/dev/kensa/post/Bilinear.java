package dev.kensa.post;

/**
 * Bilinear resize of a float map with half-pixel centres (torch {@code interpolate(mode="bilinear",
 * align_corners=False)}, OpenCV INTER_LINEAR): src = (dst + 0.5) * in/out - 0.5, clamped at the edges.
 */
public final class Bilinear {
    private Bilinear() {
    }

    public static float[] resize(float[] src, int srcWidth, int srcHeight, int dstWidth, int dstHeight) {
        float[] dst = new float[dstWidth * dstHeight];
        resize(src, srcWidth, srcHeight, dst, dstWidth, dstHeight);
        return dst;
    }

    public static void resize(float[] src, int sw, int sh, float[] dst, int dw, int dh) {
        int[] x0 = new int[dw];
        int[] x1 = new int[dw];
        float[] fx = new float[dw];
        taps(sw, dw, x0, x1, fx);
        int[] y0 = new int[dh];
        int[] y1 = new int[dh];
        float[] fy = new float[dh];
        taps(sh, dh, y0, y1, fy);
        // rows first (sw -> dw for each of the sh source rows), then a blend of two rows per output row: the
        // same arithmetic as interpolating top and bottom then blending, in a vectorisable order
        float[] rowsUp = new float[sh * dw];
        for (int y = 0; y < sh; y++) {
            int r = y * sw;
            int o = y * dw;
            for (int x = 0; x < dw; x++) {
                float a = src[r + x0[x]];
                rowsUp[o + x] = a + (src[r + x1[x]] - a) * fx[x];
            }
        }
        for (int y = 0; y < dh; y++) {
            int r0 = y0[y] * dw;
            int r1 = y1[y] * dw;
            float wy = fy[y];
            int out = y * dw;
            for (int x = 0; x < dw; x++) {
                float top = rowsUp[r0 + x];
                dst[out + x] = top + (rowsUp[r1 + x] - top) * wy;
            }
        }
    }

    private static void taps(int in, int out, int[] i0, int[] i1, float[] frac) {
        double scale = (double) in / out;
        for (int o = 0; o < out; o++) {
            double s = Math.max(0, (o + 0.5) * scale - 0.5);
            int a = Math.min((int) s, in - 1);
            i0[o] = a;
            i1[o] = Math.min(a + 1, in - 1);
            frac[o] = (float) (s - a);
        }
    }
}
