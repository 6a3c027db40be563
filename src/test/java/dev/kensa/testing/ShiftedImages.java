package dev.kensa.testing;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.function.BiConsumer;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;

/** Real images changed the way a line drifts (light fading, a lens going soft), with OpenCV, as PNG bytes. */
public final class ShiftedImages {
    private ShiftedImages() {
    }

    /** Every pixel times {@code factor} (0.8: a fifth less light), saturated to 8 bits. */
    public static byte[] darkened(byte[] image, double factor) {
        return apply(image, (in, out) -> in.convertTo(out, -1, factor, 0));
    }

    /** The camera moved: the image shifted by {@code dx}, {@code dy} pixels, the edge repeated into the gap. */
    public static byte[] moved(byte[] image, int dx, int dy) {
        return apply(image, (in, out) -> {
            try (Mat t = new Mat(2, 3, org.bytedeco.opencv.global.opencv_core.CV_64F);
                 org.bytedeco.javacpp.indexer.DoubleIndexer ix = t.createIndexer()) {
                ix.put(0, 0, 1, 0, dx);
                ix.put(1, 0, 0, 1, dy);
                org.bytedeco.opencv.global.opencv_imgproc.warpAffine(in, out, t, in.size(),
                        org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR,
                        org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE, new org.bytedeco.opencv.opencv_core.Scalar());
            }
        });
    }

    /** A Gaussian blur of {@code sigma} pixels of the original image (a lens out of focus). */
    public static byte[] blurred(byte[] image, double sigma) {
        return apply(image, (in, out) -> {
            try (Size k = new Size(0, 0)) {
                GaussianBlur(in, out, k, sigma);
            }
        });
    }

    private static byte[] apply(byte[] image, BiConsumer<Mat, Mat> op) {
        try (BytePointer data = new BytePointer(image);
             Mat raw = new Mat(1, image.length, CV_8U, data);
             Mat in = imdecode(raw, IMREAD_COLOR);
             Mat out = new Mat();
             BytePointer png = new BytePointer()) {
            if (in.empty()) {
                throw new IllegalArgumentException("not an image");
            }
            op.accept(in, out);
            if (!imencode(".png", out, png)) {
                throw new IllegalStateException("cannot encode PNG");
            }
            byte[] b = new byte[(int) png.limit()];
            png.get(b);
            return b;
        }
    }
}
