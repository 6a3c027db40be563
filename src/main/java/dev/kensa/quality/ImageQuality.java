package dev.kensa.quality;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Image-quality statistics of one decoded image, the inputs of the quality gates (../shared/DESIGN.md §3).
 *
 * <p>Brightness, contrast and focus are measured on a grey version resized to {@link #SIDE} x {@link #SIDE}, the
 * square the pipeline resizes every image to before the model sees it. Contrast and focus depend on scale: measured
 * at full resolution, the same part photographed by a 5-megapixel camera would look "sharper" than by a 1-megapixel
 * one, and limits learned on one would mean nothing for the other. At the model's own scale they describe what the
 * model sees, and blur finer than one model pixel (which the model cannot see either) does not count. The square is
 * resized in 8 bits (the pipeline's own resize, and no full-resolution copy); its grey levels are computed in floating
 * point, so the rounding of the resize adds at most about 0.75 to the focus of a busy image and nothing to a flat
 * one.
 *
 * @param width      original width in pixels
 * @param height     original height in pixels
 * @param brightness mean grey level, 0 (black) to 255 (white)
 * @param contrast   standard deviation of the grey levels, 0 (flat) to 127.5
 * @param focus      variance of the Laplacian (3x3 kernel [0 1 0; 1 -4 1; 0 1 0], borders reflected as OpenCV's
 *                   default) of the grey image; falls by orders of magnitude when the image is out of focus
 */
public record ImageQuality(int width, int height, double brightness, double contrast, double focus) {
    /** Side of the square grey image the statistics are measured on: the pipeline's resize side. */
    public static final int SIDE = 256;

    /** Width over height of the original image. */
    public double aspect() {
        return (double) width / height;
    }

    /**
     * Measures an 8-bit BGR (or grey) image as {@code ImagePreprocessor.decode} returns it. Owns and closes every Mat
     * it makes; {@code image} stays the caller's.
     *
     * @throws IllegalArgumentException when the image is empty or not 8-bit with 1 or 3 channels
     */
    public static ImageQuality measure(Mat image) {
        requireEightBit(image);
        int w = image.cols();
        int h = image.rows();
        // the same resize as ImagePreprocessor: area averaging down, bilinear up; only the small square is copied
        int interpolation = (w >= SIDE && h >= SIDE) ? INTER_AREA : INTER_LINEAR;
        try (Mat square = new Mat(); Size size = new Size(SIDE, SIDE)) {
            resize(image, square, size, 0, 0, interpolation);
            return ofSquare(square, w, h);
        }
    }

    /**
     * Measures the {@link #SIDE} x {@link #SIDE} 8-bit square an image was already resized to (the pipeline's own
     * resized image, so the gate costs no second resize).
     *
     * @param originalWidth  width of the image before the resize
     * @param originalHeight height of the image before the resize
     */
    public static ImageQuality ofSquare(Mat square, int originalWidth, int originalHeight) {
        requireEightBit(square);
        if (square.cols() != SIDE || square.rows() != SIDE) {
            throw new IllegalArgumentException("need a " + SIDE + "x" + SIDE + " square, got " + square.cols() + "x" + square.rows());
        }
        int channels = square.channels();
        byte[] px = new byte[SIDE * SIDE * channels];
        try (Mat packed = square.isContinuous() ? null : square.clone()) {
            (packed != null ? packed : square).data().get(px);
        }
        float[] grey = new float[SIDE * SIDE];
        if (channels == 1) {
            for (int i = 0; i < grey.length; i++) {
                grey[i] = px[i] & 0xff;
            }
        } else {
            // ITU-R BT.601 luma, as OpenCV's BGR2GRAY, but kept in float: no second rounding to 8 bits
            for (int i = 0, p = 0; i < grey.length; i++, p += 3) {
                grey[i] = 0.114f * (px[p] & 0xff) + 0.587f * (px[p + 1] & 0xff) + 0.299f * (px[p + 2] & 0xff);
            }
        }
        return of(originalWidth, originalHeight, grey);
    }

    private static void requireEightBit(Mat image) {
        if (image == null || image.empty()) {
            throw new IllegalArgumentException("no image to measure");
        }
        int channels = image.channels();
        if (image.depth() != CV_8U || (channels != 1 && channels != 3)) {
            throw new IllegalArgumentException("image quality needs an 8-bit grey or BGR image, got depth " + image.depth()
                    + " with " + channels + " channels");
        }
    }

    /** Statistics of a {@link #SIDE} x {@link #SIDE} grey image given as row-major floats. */
    static ImageQuality of(int width, int height, float[] grey) {
        int n = SIDE * SIDE;
        double sum = 0;
        for (float v : grey) {
            sum += v;
        }
        double mean = sum / n;
        double ss = 0;
        for (float v : grey) {
            double d = v - mean;
            ss += d * d;
        }
        return new ImageQuality(width, height, mean, Math.sqrt(ss / n), laplacianVariance(grey));
    }

    /** Population variance of the 4-neighbour Laplacian, borders reflected without repeating the edge (BORDER_REFLECT_101). */
    private static double laplacianVariance(float[] g) {
        int s = SIDE;
        double sum = 0;
        double sumSq = 0;
        for (int y = 0; y < s; y++) {
            int up = (y == 0 ? 1 : y - 1) * s;
            int down = (y == s - 1 ? s - 2 : y + 1) * s;
            int row = y * s;
            for (int x = 0; x < s; x++) {
                int left = x == 0 ? 1 : x - 1;
                int right = x == s - 1 ? s - 2 : x + 1;
                double lap = (double) g[up + x] + g[down + x] + g[row + left] + g[row + right] - 4.0 * g[row + x];
                sum += lap;
                sumSq += lap * lap;
            }
        }
        int n = s * s;
        double mean = sum / n;
        return Math.max(0, sumSq / n - mean * mean);
    }
}
