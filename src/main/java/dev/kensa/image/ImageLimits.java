package dev.kensa.image;

import dev.kensa.KensaException;

/**
 * How large an image may be decoded, checked on the header's numbers before any decoder runs, with one message for
 * every format. Process-wide: {@code kensa.image.max-pixels} sets it at start for every command.
 */
public final class ImageLimits {
    private ImageLimits() {
    }

    /** The default of {@code kensa.image.max-pixels} (KensaConfig): 40 MP, three times a 12 MP camera's frame. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    /** OpenCV refuses sides above 2^20 and more than 2^30 pixels with its own message; we refuse first, in ours. */
    public static final long MAX_SIDE = 1L << 20;
    private static final long DECODER_MAX_PIXELS = 1L << 30;
    /** Bytes per pixel of a decoded image: 8-bit BGR. */
    public static final int DECODED_BYTES_PER_PIXEL = 3;

    private static volatile long maxPixels = DEFAULT_MAX_PIXELS;

    public static void maxPixels(long pixels) {
        if (pixels <= 0) {
            throw new IllegalArgumentException("kensa.image.max-pixels must be positive, got " + pixels);
        }
        maxPixels = Math.min(pixels, DECODER_MAX_PIXELS);
    }

    public static long maxPixels() {
        return maxPixels;
    }

    /** @throws KensaException when the declared size is over the limit */
    public static void check(ImageHeader h) {
        long max = maxPixels;
        if (h.width() > MAX_SIDE || h.height() > MAX_SIDE) {
            throw new KensaException("image is " + h.width() + "x" + h.height() + ", over the limit of " + MAX_SIDE
                    + " pixels per side");
        }
        if (h.pixels() > max) {
            throw new KensaException("image is " + h.width() + "x" + h.height() + ", over the limit of " + max
                    + " pixels (kensa.image.max-pixels)");
        }
    }

    /** What decoding this image holds in memory at its peak, roughly: the decoded 8-bit BGR image. */
    public static long decodedBytes(ImageHeader h) {
        return DECODED_BYTES_PER_PIXEL * h.pixels();
    }
}
