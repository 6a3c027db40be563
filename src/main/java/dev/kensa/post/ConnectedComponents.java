package dev.kensa.post;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * 8-connected component labelling of binary masks (ground-truth defect regions, thresholded
 * anomaly maps). Labels match {@code cv2.connectedComponents(mask, connectivity=8)}: 0 is
 * background and components are numbered 1..n in raster order of their first pixel.
 *
 * <p>Breadth-first flood fill with a preallocated int queue: no recursion, so a full-frame
 * component cannot overflow the stack, and no boxing.
 */
public final class ConnectedComponents {

    /** One component: its label, inclusive bounding box in pixels, and pixel count. */
    public record Component(int label, int minX, int minY, int maxX, int maxY, int area) {
        public int width() {
            return maxX - minX + 1;
        }

        public int height() {
            return maxY - minY + 1;
        }
    }

    private ConnectedComponents() {
    }

    /**
     * Labels the 8-connected components of a row-major mask.
     *
     * @return one label per pixel: 0 for background, 1..n for the n components, numbered in
     *     raster order of each component's first (top-most, then left-most) pixel
     */
    public static int[] label(boolean[] mask, int width, int height) {
        int n = checkSize(mask == null ? -1 : mask.length, width, height);
        int[] labels = new int[n];
        int[] queue = null; // every pixel is enqueued at most once overall, so one queue serves all components
        int next = 0;
        for (int seed = 0; seed < n; seed++) {
            if (!mask[seed] || labels[seed] != 0) {
                continue;
            }
            if (queue == null) {
                queue = new int[n];
            }
            int current = ++next;
            labels[seed] = current;
            int head = 0;
            int tail = 0;
            queue[tail++] = seed;
            while (head < tail) {
                int p = queue[head++];
                int y = p / width;
                int x = p - y * width;
                int x0 = x > 0 ? x - 1 : 0;
                int x1 = x < width - 1 ? x + 1 : x;
                int y0 = y > 0 ? y - 1 : 0;
                int y1 = y < height - 1 ? y + 1 : y;
                for (int yy = y0; yy <= y1; yy++) {
                    int row = yy * width;
                    for (int xx = x0; xx <= x1; xx++) {
                        int q = row + xx;
                        if (mask[q] && labels[q] == 0) {
                            labels[q] = current;
                            queue[tail++] = q;
                        }
                    }
                }
            }
        }
        return labels;
    }

    /** The 8-connected components of a row-major mask, ordered by label. */
    public static List<Component> components(boolean[] mask, int width, int height) {
        return components(label(mask, width, height), width, height);
    }

    /**
     * Bounding boxes and areas of an already labelled image (as returned by
     * {@link #label(boolean[], int, int)}), ordered by label; saves labelling twice when a
     * caller needs both the label image and the boxes.
     */
    public static List<Component> components(int[] labels, int width, int height) {
        int n = checkSize(labels == null ? -1 : labels.length, width, height);
        int count = 0;
        for (int l : labels) {
            if (l < 0) {
                throw new IllegalArgumentException("negative label " + l);
            }
            if (l > count) {
                count = l;
            }
        }
        if (count == 0) {
            return List.of();
        }
        int[] minX = new int[count + 1];
        int[] minY = new int[count + 1];
        int[] maxX = new int[count + 1];
        int[] maxY = new int[count + 1];
        int[] area = new int[count + 1];
        Arrays.fill(minX, Integer.MAX_VALUE);
        Arrays.fill(minY, Integer.MAX_VALUE);
        Arrays.fill(maxX, -1);
        Arrays.fill(maxY, -1);
        for (int p = 0; p < n; p++) {
            int l = labels[p];
            if (l == 0) {
                continue;
            }
            int y = p / width;
            int x = p - y * width;
            if (x < minX[l]) minX[l] = x;
            if (x > maxX[l]) maxX[l] = x;
            if (y < minY[l]) minY[l] = y;
            if (y > maxY[l]) maxY[l] = y;
            area[l]++;
        }
        List<Component> out = new ArrayList<>(count);
        for (int l = 1; l <= count; l++) {
            if (area[l] > 0) { // a hand-made label image may skip numbers
                out.add(new Component(l, minX[l], minY[l], maxX[l], maxY[l], area[l]));
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static int checkSize(int length, int width, int height) {
        if (length < 0) {
            throw new IllegalArgumentException("mask is null");
        }
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("negative size " + width + "x" + height);
        }
        long n = (long) width * height;
        if (n != length) {
            throw new IllegalArgumentException(
                    "array has " + length + " pixels, expected " + width + "x" + height + " = " + n);
        }
        return length;
    }
}
