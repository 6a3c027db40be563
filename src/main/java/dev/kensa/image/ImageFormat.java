package dev.kensa.image;

import dev.kensa.KensaException;

/**
 * What is checked before an image reaches the decoder: its header is one of the formats read here, its declared
 * size is within {@link ImageLimits}, and it is complete. OpenCV does not check completeness: a truncated JPEG
 * decodes "successfully" with the missing rows filled grey, which would be scored as a silent wrong answer, so a
 * JPEG's scans are walked to their last block ({@link JpegScan}) and a PNG must end with its IEND chunk (libpng
 * itself refuses a PNG whose image data stops early).
 */
final class ImageFormat {
    private ImageFormat() {
    }

    private static final int[] PNG_IEND = {'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};

    /** @throws KensaException with a one-line reason when the image must not be decoded */
    static ImageHeader check(byte[] data) {
        ImageHeader header = ImageHeader.read(data);
        ImageLimits.check(header);
        switch (header.format()) {
            case "PNG" -> {
                if (!endsWithIgnoringPadding(data, PNG_IEND)) {
                    throw new KensaException("truncated PNG (" + data.length + " bytes): no IEND chunk at the end");
                }
            }
            case "JPEG" -> JpegScan.checkComplete(data);
            default -> {
                // BMP, TIFF, WebP and PNM decoders fail on missing data themselves
            }
        }
        return header;
    }

    /** Some writers pad files with zero bytes after the end marker; up to 4 KiB of them is tolerated. */
    private static boolean endsWithIgnoringPadding(byte[] data, int[] suffix) {
        int end = data.length;
        int limit = Math.max(0, data.length - 4096);
        while (end > limit && data[end - 1] == 0) {
            end--;
        }
        return end >= suffix.length && ImageHeader.startsAt(data, end - suffix.length, suffix);
    }
}
