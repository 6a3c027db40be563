package dev.kensa.image;

import dev.kensa.KensaException;

/**
 * Structural checks OpenCV does not make: a truncated JPEG decodes "successfully" with the missing rows filled
 * grey, which would be scored as a silent wrong answer. We require the end-of-image marker (JPEG) or the IEND
 * chunk (PNG) before decoding.
 */
final class ImageFormat {
    private ImageFormat() {
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte[] PNG_IEND = {'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82};

    static void checkComplete(byte[] data) {
        if (data == null || data.length == 0) {
            throw new KensaException("empty image (0 bytes)");
        }
        if (startsWith(data, PNG_SIGNATURE)) {
            if (!endsWithIgnoringPadding(data, PNG_IEND)) {
                throw new KensaException("truncated PNG (" + data.length + " bytes): no IEND chunk at the end");
            }
        } else if (data.length >= 2 && (data[0] & 0xff) == 0xff && (data[1] & 0xff) == 0xd8) {
            if (!endsWithIgnoringPadding(data, new byte[]{(byte) 0xff, (byte) 0xd9})) {
                throw new KensaException("truncated JPEG (" + data.length + " bytes): no end-of-image marker");
            }
        }
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        if (data.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Some writers pad files with zero bytes after the end marker; up to 4 KiB of them is tolerated. */
    private static boolean endsWithIgnoringPadding(byte[] data, byte[] suffix) {
        int end = data.length;
        int limit = Math.max(0, data.length - 4096);
        while (end > limit && data[end - 1] == 0 && !(suffix[suffix.length - 1] == 0)) {
            end--;
        }
        if (end < suffix.length) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (data[end - suffix.length + i] != suffix[i]) {
                return false;
            }
        }
        return true;
    }
}
