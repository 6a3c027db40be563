package dev.kensa.post;

/**
 * Opening of a binary mask with a square structuring element of side 2r+1 (erosion, then dilation): removes
 * foreground specks and bridges narrower than the square and keeps larger shapes as they were. Separable: a
 * running count along rows, then along columns; pixels outside the mask count as background.
 */
public final class BinaryMorphology {
    private BinaryMorphology() {
    }

    public static boolean[] open(boolean[] mask, int w, int h, int r) {
        if (r <= 0) {
            return mask.clone();
        }
        return dilate(erode(mask, w, h, r), w, h, r);
    }

    static boolean[] erode(boolean[] mask, int w, int h, int r) {
        // a pixel survives when its whole square is foreground: a window count of 2r+1 along rows, then columns
        return window(window(mask, w, h, r, true, true), w, h, r, false, true);
    }

    static boolean[] dilate(boolean[] mask, int w, int h, int r) {
        // a pixel is set when anything in its square is foreground: a window count above 0
        return window(window(mask, w, h, r, true, false), w, h, r, false, false);
    }

    /** Along rows (or columns): all = every pixel of the 2r+1 window set (erosion), else any (dilation). */
    private static boolean[] window(boolean[] in, int w, int h, int r, boolean rows, boolean all) {
        boolean[] out = new boolean[in.length];
        int lines = rows ? h : w;
        int length = rows ? w : h;
        int full = 2 * r + 1;
        for (int line = 0; line < lines; line++) {
            int count = 0;
            // the window of position i covers [i - r, i + r]; start with [-r, r - 1]
            for (int i = -r; i < r; i++) {
                if (i >= 0 && i < length && in[index(rows, line, i, w)]) {
                    count++;
                }
            }
            for (int i = 0; i < length; i++) {
                int enter = i + r;
                if (enter < length && in[index(rows, line, enter, w)]) {
                    count++;
                }
                out[index(rows, line, i, w)] = all ? count == full : count > 0;
                int leave = i - r;
                if (leave >= 0 && in[index(rows, line, leave, w)]) {
                    count--;
                }
            }
        }
        return out;
    }

    private static int index(boolean rows, int line, int i, int w) {
        return rows ? line * w + i : i * w + line;
    }
}
