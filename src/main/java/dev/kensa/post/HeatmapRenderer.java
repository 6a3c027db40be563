package dev.kensa.post;

import dev.kensa.image.ImageGeometry;
import dev.kensa.image.ImageTensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;

/**
 * Heatmap thumbnail: the JET colour map of the anomaly map blended over the whole image. The colour scale is
 * fixed and anchored to the threshold, never per-image min-max, so the same colour means the same score on
 * every image: 0.5 x threshold and below is blue, the threshold is the middle of the scale (green-yellow),
 * 1.5 x threshold and above is red. Outside the backbone's crop there is no map and the image shows plain.
 */
public final class HeatmapRenderer {
    private static final float ALPHA = 0.45f;

    private final ImageGeometry geometry;
    private final double threshold;
    private final int jpegQuality;

    public HeatmapRenderer(ImageGeometry geometry, double threshold, int jpegQuality) {
        this.geometry = geometry;
        this.threshold = threshold;
        this.jpegQuality = jpegQuality;
    }

    /** Position of a score on the fixed colour scale, 0..1. */
    public double scale(double score) {
        return scale(score, threshold);
    }

    private static double scale(double score, double threshold) {
        return Math.max(0, Math.min(1, score / threshold - 0.5));
    }

    public byte[] renderJpeg(AnomalyMap map, ImageTensor.Thumbnail thumb) {
        return renderJpeg(map, thumb, threshold);
    }

    /** Renders with the scale anchored to {@code threshold} (the one that decided the verdict, e.g. an override). */
    public byte[] renderJpeg(AnomalyMap map, ImageTensor.Thumbnail thumb, double threshold) {
        int tw = thumb.width();
        int th = thumb.height();
        byte[] out = thumb.bgr().clone();
        double resize = geometry.resize();
        double off = geometry.cropOffset();
        for (int ty = 0; ty < th; ty++) {
            // thumbnail pixel centre -> resized-square coords -> crop coords
            double cy = (ty + 0.5) / th * resize - off;
            if (cy < 0 || cy >= map.height()) {
                continue;
            }
            int my = (int) cy;
            for (int tx = 0; tx < tw; tx++) {
                double cx = (tx + 0.5) / tw * resize - off;
                if (cx < 0 || cx >= map.width()) {
                    continue;
                }
                double v = scale(map.values()[my * map.width() + (int) cx], threshold);
                int i = (ty * tw + tx) * 3;
                blend(out, i, jet(v, 1), jet(v, 2), jet(v, 3));
            }
        }
        try (Mat mat = new Mat(th, tw, CV_8UC3);
             BytePointer encoded = new BytePointer();
             IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, jpegQuality)) {
            mat.data().put(out);
            if (!imencode(".jpg", mat, encoded, params)) {
                throw new IllegalStateException("JPEG encoding failed");
            }
            byte[] jpeg = new byte[(int) encoded.limit()];
            encoded.get(jpeg);
            return jpeg;
        }
    }

    /**
     * The thumbnail of an image scored by an image-level method, which has no anomaly map: the image itself, framed
     * in the colour its score has on the same fixed scale, with {@code note} written across the top, so nobody
     * mistakes it for a map that found nothing.
     */
    public byte[] renderWithoutMap(ImageTensor.Thumbnail thumb, double score, double threshold, String note) {
        int tw = thumb.width();
        int th = thumb.height();
        byte[] out = thumb.bgr().clone();
        double v = scale(score, threshold);
        int frame = Math.max(2, Math.min(tw, th) / 40);
        int band = Math.min(th, Math.max(14, th / 12));
        for (int y = 0; y < th; y++) {
            for (int x = 0; x < tw; x++) {
                int i = (y * tw + x) * 3;
                if (x < frame || y < frame || x >= tw - frame || y >= th - frame) {
                    out[i] = (byte) Math.round(255 * jet(v, 1));
                    out[i + 1] = (byte) Math.round(255 * jet(v, 2));
                    out[i + 2] = (byte) Math.round(255 * jet(v, 3));
                } else if (y < band) {
                    // a dark band under the text, readable on any image
                    out[i] = (byte) ((out[i] & 0xff) / 4);
                    out[i + 1] = (byte) ((out[i + 1] & 0xff) / 4);
                    out[i + 2] = (byte) ((out[i + 2] & 0xff) / 4);
                }
            }
        }
        try (Mat mat = new Mat(th, tw, CV_8UC3);
             BytePointer encoded = new BytePointer();
             IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, jpegQuality);
             Point at = new Point(frame + 2, Math.max(10, band - 4));
             Scalar white = new Scalar(255, 255, 255, 0)) {
            mat.data().put(out);
            double fontScale = Math.max(0.3, band / 40.0);
            putText(mat, String.format(java.util.Locale.ROOT, "%s (score %.2f)", note, score), at, FONT_HERSHEY_SIMPLEX,
                    fontScale, white, 1, LINE_AA, false);
            if (!imencode(".jpg", mat, encoded, params)) {
                throw new IllegalStateException("JPEG encoding failed");
            }
            byte[] jpeg = new byte[(int) encoded.limit()];
            encoded.get(jpeg);
            return jpeg;
        }
    }

    private static void blend(byte[] bgr, int i, float b, float g, float r) {
        bgr[i] = mix(bgr[i], b);
        bgr[i + 1] = mix(bgr[i + 1], g);
        bgr[i + 2] = mix(bgr[i + 2], r);
    }

    private static byte mix(byte base, float colour) {
        return (byte) Math.round((1 - ALPHA) * (base & 0xff) + ALPHA * 255 * colour);
    }

    /** JET colour map component (1 = blue, 2 = green, 3 = red) at v in 0..1. */
    static float jet(double v, int component) {
        double centre = switch (component) {
            case 1 -> 1;   // blue peaks at 0.25
            case 2 -> 2;   // green at 0.5
            default -> 3;  // red at 0.75
        };
        return (float) Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - centre)));
    }
}
