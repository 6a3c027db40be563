package dev.kensa.image;

import dev.kensa.KensaException;
import dev.kensa.TestData;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePreprocessorTest {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    static ImagePreprocessor preprocessor() {
        return new ImagePreprocessor(new ImageGeometry(256, 224), MEAN, STD, "RGB", 64);
    }

    static byte[] solid(int w, int h, double b, double g, double r, String ext) {
        try (Mat m = new Mat(h, w, CV_8UC3, new Scalar(b, g, r, 0)); BytePointer out = new BytePointer()) {
            imencode(ext, m, out);
            byte[] bytes = new byte[(int) out.limit()];
            out.get(bytes);
            return bytes;
        }
    }

    @Test
    void pureRedBecomesNormalisedRgbPlanes() {
        // OpenCV stores BGR: (0, 0, 255) is red. Plane 0 must be R = (1 - 0.485) / 0.229.
        ImageTensor t = preprocessor().prepare(solid(300, 200, 0, 0, 255, ".png"));
        int plane = 224 * 224;
        assertEquals(300, t.originalWidth());
        assertEquals(200, t.originalHeight());
        assertEquals((1 - 0.485) / 0.229, t.chw()[0], 1e-5);
        assertEquals((0 - 0.456) / 0.224, t.chw()[plane + 1234], 1e-5);
        assertEquals((0 - 0.406) / 0.225, t.chw()[2 * plane + plane - 1], 1e-5);
        assertNotNull(t.thumbnail());
        assertEquals(64, t.thumbnail().width());
        assertEquals(43, t.thumbnail().height());
    }

    @Test
    void realBottleImageIsWithinTheNormalisedRange() throws Exception {
        byte[] png = Files.readAllBytes(TestData.bottleTrain().resolve("000.png"));
        ImageTensor t = preprocessor().prepare(png);
        assertEquals(900, t.originalWidth());
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : t.chw()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= (0 - 0.485) / 0.229 - 1e-4 && max <= (1 - 0.406) / 0.225 + 1e-4, min + ".." + max);
        assertTrue(max - min > 1, "a real image has contrast");
    }

    @Test
    void truncatedPngIsRefusedNotScoredGrey() throws Exception {
        byte[] png = Files.readAllBytes(TestData.bottleTrain().resolve("000.png"));
        byte[] cut = Arrays.copyOf(png, png.length / 2);
        KensaException e = assertThrows(KensaException.class, () -> preprocessor().prepare(cut));
        assertTrue(e.getMessage().contains("truncated PNG"), e.getMessage());
    }

    @Test
    void truncatedJpegIsRefused() {
        byte[] jpg = solid(120, 80, 10, 200, 30, ".jpg");
        preprocessor().prepare(jpg); // whole file is fine
        byte[] cut = Arrays.copyOf(jpg, jpg.length - 40);
        KensaException e = assertThrows(KensaException.class, () -> preprocessor().prepare(cut));
        assertTrue(e.getMessage().contains("truncated JPEG"), e.getMessage());
    }

    @Test
    void garbageAndEmptyInputAreClearErrors() {
        byte[] text = "this is not an image, it is a text file\n".getBytes();
        KensaException e = assertThrows(KensaException.class, () -> preprocessor().prepare(text));
        assertTrue(e.getMessage().startsWith("cannot decode image"), e.getMessage());
        KensaException empty = assertThrows(KensaException.class, () -> preprocessor().prepare(new byte[0]));
        assertTrue(empty.getMessage().contains("empty image"), empty.getMessage());
    }

    @Test
    void cropMapsBackToOriginalCoordinates() {
        ImageGeometry g = new ImageGeometry(256, 224);
        assertEquals(16, g.cropOffset());
        assertEquals(16 * 900 / 256.0, g.toOriginalX(0, 900), 1e-9);
        assertEquals(240 * 900 / 256.0, g.toOriginalX(224, 900), 1e-9);
    }
}
