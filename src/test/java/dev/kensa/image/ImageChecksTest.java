package dev.kensa.image;

import dev.kensa.KensaException;
import dev.kensa.TestData;
import dev.kensa.testing.CraftedImages;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_GRAYSCALE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_PROGRESSIVE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_RST_INTERVAL;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What is refused before the decoder runs: image bombs of every format read (one message, no OpenCV text, no
 * memory spent), formats whose header is not read, and JPEGs that do not hold all of their image data.
 */
class ImageChecksTest {
    static final ImagePreprocessor PRE = ImagePreprocessorTest.preprocessor();

    static final Map<String, BiFunction<Integer, Integer, byte[]>> BOMBS = Map.of(
            "PNG", CraftedImages::png, "JPEG", CraftedImages::jpeg, "BMP", CraftedImages::bmp,
            "TIFF", CraftedImages::tiff, "PNM", CraftedImages::ppm);

    @Test
    void bombsOfEveryFormatAreRefusedFromTheHeaderWithOneMessageAndNoMemorySpent() {
        long before = CraftedImages.rssBytes();
        for (var e : BOMBS.entrySet()) {
            for (int side : new int[]{20000, 60000}) {
                byte[] bomb = e.getValue().apply(side, side);
                assertTrue(bomb.length < 16 * 1024, e.getKey() + " bomb is " + bomb.length + " bytes");
                assertEquals(new ImageHeader(e.getKey(), side, side), ImageHeader.read(bomb));
                KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(bomb), e.getKey());
                assertEquals("image is " + side + "x" + side + ", over the limit of " + ImageLimits.DEFAULT_MAX_PIXELS
                        + " pixels (kensa.image.max-pixels)", x.getMessage(), e.getKey());
            }
        }
        // WebP's lossless header holds at most 16384 per side
        byte[] webp = CraftedImages.webp(16000, 16000);
        KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(webp));
        assertEquals("image is 16000x16000, over the limit of 40000000 pixels (kensa.image.max-pixels)", x.getMessage());
        long grown = CraftedImages.rssBytes() - before;
        // decoding even one 20000x20000 bomb takes 1.2 GB
        assertTrue(grown < 50L << 20, "resident memory grew by " + (grown >> 20) + " MB");
    }

    @Test
    void aBombWithinTheLimitIsStillRefusedAsTruncated() {
        // 4000x3000 fits the limit, but 4 KB of data cannot hold its blocks: grey-filled, it would be scored
        KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(CraftedImages.jpeg(4000, 3000)));
        assertTrue(x.getMessage().startsWith("truncated JPEG"), x.getMessage());
    }

    @Test
    void theLimitIsConfigurableAndSidesBeyondTheDecodersAreRefusedInOurWords() {
        try {
            ImageLimits.maxPixels(1000);
            KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(ImagePreprocessorTest.solid(40, 30, 0, 0, 0, ".png")));
            assertEquals("image is 40x30, over the limit of 1000 pixels (kensa.image.max-pixels)", x.getMessage());
        } finally {
            ImageLimits.maxPixels(ImageLimits.DEFAULT_MAX_PIXELS);
        }
        KensaException wide = assertThrows(KensaException.class, () -> PRE.prepare(CraftedImages.png(2_000_000, 1)));
        assertEquals("image is 2000000x1, over the limit of 1048576 pixels per side", wide.getMessage());
        assertFalse(wide.getMessage().contains("OpenCV"));
    }

    @Test
    void formatsWhoseHeaderIsNotReadAreRefusedByName() {
        byte[] gif = "GIF89a\u0010\u0000\u0010\u0000\u0000\u0000\u0000;".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(gif));
        assertEquals("unsupported image format: GIF (Kensa inspects PNG, JPEG, BMP, TIFF, WebP or PNM images)", x.getMessage());
        byte[] j2k = {(byte) 0xff, 0x4f, (byte) 0xff, 0x51, 0, 0x29, 0, 0};
        assertTrue(assertThrows(KensaException.class, () -> PRE.prepare(j2k)).getMessage().contains("JPEG 2000"));
    }

    @Test
    void realImagesOfEveryReadFormatPass() throws Exception {
        try (Mat m = imread(TestData.bottleTrain().resolve("000.png").toString())) {
            for (String ext : List.of(".png", ".jpg", ".bmp", ".tiff", ".webp", ".ppm")) {
                byte[] b = encode(m, ext);
                ImageHeader h = ImageHeader.read(b);
                assertEquals(900, h.width(), ext);
                assertEquals(900, h.height(), ext);
                assertEquals(900, PRE.prepare(b).originalWidth(), ext);
            }
        }
    }

    /** Baseline, 4:4:4, progressive, restart intervals, greyscale: every way OpenCV writes a JPEG. */
    static List<byte[]> jpegs() throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Mat colour = imread(TestData.bottleTrain().resolve("000.png").toString());
             Mat grey = imread(TestData.bottleTrain().resolve("001.png").toString(), IMREAD_GRAYSCALE)) {
            out.add(encode(colour, ".jpg"));
            out.add(encode(colour, ".jpg", IMWRITE_JPEG_SAMPLING_FACTOR, IMWRITE_JPEG_SAMPLING_FACTOR_444));
            out.add(encode(colour, ".jpg", IMWRITE_JPEG_PROGRESSIVE, 1));
            out.add(encode(colour, ".jpg", IMWRITE_JPEG_RST_INTERVAL, 7));
            out.add(encode(colour, ".jpg", IMWRITE_JPEG_PROGRESSIVE, 1, IMWRITE_JPEG_RST_INTERVAL, 3));
            out.add(encode(grey, ".jpg"));
            out.add(encode(grey, ".jpg", IMWRITE_JPEG_PROGRESSIVE, 1));
        }
        return out;
    }

    @Test
    void aJpegCutAnywhereWithItsEndMarkerAppendedIsRefusedAsTruncated() throws Exception {
        int variant = 0;
        for (byte[] jpg : jpegs()) {
            PRE.prepare(jpg); // whole: fine
            JpegScan.checkComplete(jpg);
            for (double at : new double[]{0.3, 0.5, 0.9, 0.99}) {
                byte[] cut = java.util.Arrays.copyOf(jpg, (int) (jpg.length * at) + 2);
                cut[cut.length - 2] = (byte) 0xff;
                cut[cut.length - 1] = (byte) 0xd9;
                String what = "variant " + variant + " cut at " + at;
                KensaException x = assertThrows(KensaException.class, () -> PRE.prepare(cut), what);
                assertTrue(x.getMessage().startsWith("truncated JPEG"), what + ": " + x.getMessage());
            }
            variant++;
        }
    }

    @Test
    void aProgressiveJpegCutBetweenTwoScansIsRefused() throws Exception {
        byte[] jpg = jpegs().get(2);
        // the start of the last scan: the image has every scan header before it, but not the last refinement
        int lastSos = -1;
        for (int i = 2; i + 1 < jpg.length; i++) {
            if ((jpg[i] & 0xff) == 0xff && (jpg[i + 1] & 0xff) == 0xda) {
                lastSos = i;
            }
        }
        byte[] cut = java.util.Arrays.copyOf(jpg, lastSos + 2);
        cut[lastSos] = (byte) 0xff;
        cut[lastSos + 1] = (byte) 0xd9;
        KensaException x = assertThrows(KensaException.class, () -> JpegScan.checkComplete(cut));
        assertTrue(x.getMessage().contains("not fully coded"), x.getMessage());
    }

    @Test
    void trailingBytesAfterTheEndOfImageAreTolerated() throws Exception {
        byte[] jpg = jpegs().get(0);
        byte[] longer = java.util.Arrays.copyOf(jpg, jpg.length + 100);
        JpegScan.checkComplete(longer);
    }

    static byte[] encode(Mat m, String ext, int... params) {
        try (BytePointer out = new BytePointer(); org.bytedeco.javacpp.IntPointer p = new org.bytedeco.javacpp.IntPointer(params)) {
            assertTrue(imencode(ext, m, out, p), ext);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }
}
