package dev.kensa.image;

import dev.kensa.KensaException;
import dev.kensa.quality.ImageQuality;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Decode and preprocess with OpenCV (../shared/DESIGN.md §3): decode, resize to resize x resize, centre-crop, RGB,
 * ImageNet mean/std, CHW float. Thread-safe: every call owns its Mats and closes them.
 *
 * <p>Downscaling uses INTER_AREA, which averages like the antialiased resize torchvision applies; upscaling uses
 * bilinear. The per-pixel normalisation and the HWC-to-CHW transpose are one pass in Java over the small crop.
 */
public final class ImagePreprocessor {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ImagePreprocessor.class);

    private final ImageGeometry geometry;
    private final float[] scale = new float[3];  // 1 / (255 * std), per backbone channel
    private final float[] shift = new float[3];  // mean / std
    private final boolean rgb;
    private final int thumbnailSize;

    /**
     * @param mean          per-channel mean in the backbone's channel order, on [0,1] values
     * @param std           per-channel std in the backbone's channel order
     * @param channelOrder  "RGB" or "BGR"
     * @param thumbnailSize longest side of the thumbnail kept for heatmaps, 0 for none
     */
    public ImagePreprocessor(ImageGeometry geometry, float[] mean, float[] std, String channelOrder, int thumbnailSize) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values");
        }
        this.geometry = geometry;
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * std[c]);
            shift[c] = mean[c] / std[c];
        }
        this.rgb = switch (channelOrder) {
            case "RGB" -> true;
            case "BGR" -> false;
            default -> throw new IllegalArgumentException("channelOrder must be RGB or BGR, got " + channelOrder);
        };
        this.thumbnailSize = thumbnailSize;
    }

    public ImageGeometry geometry() {
        return geometry;
    }

    public int tensorSize() {
        return 3 * geometry.crop() * geometry.crop();
    }

    /** Decodes and preprocesses into a new float array. */
    public ImageTensor prepare(byte[] encoded) {
        return prepare(encoded, new float[tensorSize()], 0);
    }

    /**
     * Decodes {@code encoded} and writes the CHW planes into {@code out} at {@code offset} (batch slot).
     *
     * @throws KensaException when the bytes are not a complete image OpenCV can decode
     */
    public ImageTensor prepare(byte[] encoded, float[] out, int offset) {
        try (Mat image = decode(encoded)) {
            return prepare(image, out, offset);
        }
    }

    /**
     * Decodes to an 8-bit BGR Mat the caller owns and must close. The header is read first and the image refused
     * before any decoding when it is over {@link ImageLimits}, not a format read here, or incomplete.
     *
     * @throws KensaException when the bytes are not a complete image OpenCV can decode, or it is too large
     */
    public Mat decode(byte[] encoded) {
        ImageHeader header = ImageFormat.check(encoded);
        try (BytePointer data = new BytePointer(encoded);
             Mat raw = new Mat(1, encoded.length, CV_8U, data)) {
            Mat image;
            try {
                image = imdecode(raw, IMREAD_COLOR);
            } catch (RuntimeException e) {
                // OpenCV's message names its source files and build path: not for a result; the reason is the data
                LOG.debugf("imdecode: %s", e.getMessage());
                image = null;
            }
            if (image == null || image.empty()) {
                if (image != null) {
                    image.close();
                }
                throw new KensaException("cannot decode " + header.format() + " image (" + encoded.length
                        + " bytes): corrupt data");
            }
            // belt and braces: a decoder that disagrees with its header must not slip a bomb through
            if ((long) image.cols() * image.rows() > ImageLimits.maxPixels()) {
                int w = image.cols(), h = image.rows();
                image.close();
                ImageLimits.check(new ImageHeader(header.format(), w, h));
            }
            return image;
        }
    }

    /**
     * As {@link #prepare(byte[], float[], int)}, also measuring the image's {@link ImageQuality} (for the quality
     * gates) on the same decoded image.
     */
    public ImageTensor prepare(byte[] encoded, float[] out, int offset, boolean measureQuality) {
        try (Mat image = decode(encoded)) {
            return prepare(image, out, offset, measureQuality);
        }
    }

    /** Resize, centre-crop, normalise a decoded BGR image into {@code out} at {@code offset}. */
    public ImageTensor prepare(Mat image, float[] out, int offset) {
        return prepare(image, out, offset, false);
    }

    /**
     * Resize, centre-crop, normalise a decoded BGR image into {@code out} at {@code offset}, and with
     * {@code measureQuality} its {@link ImageQuality}: from the resized square itself when the pipeline resizes to
     * {@link ImageQuality#SIDE} (the usual 256: no second resize, no full-resolution copy), else from the image.
     */
    public ImageTensor prepare(Mat image, float[] out, int offset, boolean measureQuality) {
        int crop = geometry.crop();
        int resize = geometry.resize();
        int off = geometry.cropOffset();
        int w = image.cols();
        int h = image.rows();
        int interpolation = (w >= resize && h >= resize) ? INTER_AREA : INTER_LINEAR;
        byte[] pixels = new byte[crop * crop * 3];
        try (Mat resized = new Mat();
             Size size = new Size(resize, resize);
             Rect roi = new Rect(off, off, crop, crop)) {
            resize(image, resized, size, 0, 0, interpolation);
            try (Mat cropped = new Mat(resized, roi); Mat packed = cropped.clone()) {
                packed.data().get(pixels);
            }
            writeChw(pixels, crop, out, offset);
            ImageQuality quality = !measureQuality ? null
                    : resize == ImageQuality.SIDE ? ImageQuality.ofSquare(resized, w, h) : ImageQuality.measure(image);
            // the thumbnail comes from the resized square (restoring the aspect ratio), not from a second resize
            // of the full-resolution image, which would cost as much as the first
            return new ImageTensor(out, w, h, thumbnailSize > 0 ? thumbnail(resized, w, h) : null, quality);
        }
    }

    /** BGR interleaved bytes to normalised planes: plane c = (v / 255 - mean_c) / std_c. */
    private void writeChw(byte[] bgr, int crop, float[] out, int offset) {
        int plane = crop * crop;
        // source channel of backbone plane c: OpenCV decodes BGR
        int s0 = rgb ? 2 : 0;
        int s2 = rgb ? 0 : 2;
        float sc0 = scale[0], sc1 = scale[1], sc2 = scale[2];
        float sh0 = shift[0], sh1 = shift[1], sh2 = shift[2];
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            out[offset + i] = (bgr[p + s0] & 0xff) * sc0 - sh0;
            out[offset + plane + i] = (bgr[p + 1] & 0xff) * sc1 - sh1;
            out[offset + 2 * plane + i] = (bgr[p + s2] & 0xff) * sc2 - sh2;
        }
    }

    private ImageTensor.Thumbnail thumbnail(Mat image, int w, int h) {
        double f = (double) thumbnailSize / Math.max(w, h);
        int tw = Math.max(1, (int) Math.round(w * f));
        int th = Math.max(1, (int) Math.round(h * f));
        try (Mat small = new Mat(); Size size = new Size(tw, th)) {
            boolean down = tw <= image.cols() && th <= image.rows();
            resize(image, small, size, 0, 0, down ? INTER_AREA : INTER_LINEAR);
            byte[] bgr = new byte[tw * th * 3];
            small.data().get(bgr); // a Mat fresh from resize is continuous
            return new ImageTensor.Thumbnail(bgr, tw, th);
        }
    }
}
