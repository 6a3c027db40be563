package dev.kensa.image;

import dev.kensa.KensaException;

/**
 * What an encoded image's header declares, read without decoding: its format and size. Decoders allocate what the
 * header says, so an image bomb (a few KB declaring 60000x60000 pixels) is refused from these numbers before any
 * decoder runs. Only formats whose header is read here get to the decoder; the others OpenCV could open
 * (JPEG 2000, OpenEXR, Radiance HDR, PFM, GIF, Sun raster, PAM) are refused, which also keeps their rarely used
 * decoders out of reach of the line network.
 *
 * @param format PNG, JPEG, BMP, TIFF, WebP or PNM
 * @param width  declared width in pixels (may be absurd: check it with {@link ImageLimits#check})
 * @param height declared height in pixels
 */
public record ImageHeader(String format, long width, long height) {
    static final String SUPPORTED = "PNG, JPEG, BMP, TIFF, WebP or PNM";

    public long pixels() {
        return width * height;
    }

    /**
     * Reads the header of an encoded image.
     *
     * @throws KensaException when the bytes are empty, not one of the formats read here, or the header is cut short
     */
    public static ImageHeader read(byte[] d) {
        if (d == null || d.length == 0) {
            throw new KensaException("empty image (0 bytes)");
        }
        if (starts(d, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n')) {
            return png(d);
        }
        if (starts(d, 0xff, 0xd8, 0xff)) {
            return jpeg(d);
        }
        if (starts(d, 'B', 'M')) {
            return bmp(d);
        }
        if (starts(d, 'I', 'I', 42, 0) || starts(d, 'M', 'M', 0, 42)) {
            return tiff(d);
        }
        if (starts(d, 'R', 'I', 'F', 'F') && d.length >= 12 && startsAt(d, 8, 'W', 'E', 'B', 'P')) {
            return webp(d);
        }
        if (d.length >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') {
            return pnm(d);
        }
        String other = otherFormat(d);
        if (other != null) {
            throw new KensaException("unsupported image format: " + other + " (Kensa inspects " + SUPPORTED + " images)");
        }
        throw new KensaException("cannot decode image (" + d.length + " bytes): not a supported image format ("
                + SUPPORTED + ") or corrupt data");
    }

    private static ImageHeader png(byte[] d) {
        // signature, then the IHDR chunk: length 13, "IHDR", width, height (big-endian, unsigned 31 bits)
        if (d.length < 8 + 8 + 13 || !startsAt(d, 12, 'I', 'H', 'D', 'R')) {
            throw cut("PNG", d, "no IHDR chunk after the signature");
        }
        return new ImageHeader("PNG", u32be(d, 16), u32be(d, 20));
    }

    private static ImageHeader jpeg(byte[] d) {
        int pos = 2;
        while (true) {
            if (pos >= d.length) {
                throw cut("JPEG", d, "no frame header (SOF) before the end");
            }
            if ((d[pos] & 0xff) != 0xff) {
                throw new KensaException("cannot decode JPEG image (" + d.length + " bytes): no marker at byte " + pos);
            }
            // markers may be preceded by any number of 0xFF fill bytes
            while (pos < d.length && (d[pos] & 0xff) == 0xff) {
                pos++;
            }
            if (pos >= d.length) {
                throw cut("JPEG", d, "no frame header (SOF) before the end");
            }
            int marker = d[pos++] & 0xff;
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                continue; // standalone, no length
            }
            if (marker == 0xd9 || marker == 0xda) {
                throw cut("JPEG", d, "no frame header (SOF) before the image data");
            }
            if (pos + 2 > d.length) {
                throw cut("JPEG", d, "marker segment cut short");
            }
            int length = u16be(d, pos);
            if (length < 2 || pos + length > d.length) {
                throw cut("JPEG", d, "marker segment cut short");
            }
            if (JpegScan.isFrameMarker(marker)) {
                if (length < 8) {
                    throw cut("JPEG", d, "frame header cut short");
                }
                long height = u16be(d, pos + 3);
                long width = u16be(d, pos + 5);
                if (height == 0) {
                    throw new KensaException("unsupported JPEG: the height is deferred to a DNL marker");
                }
                return new ImageHeader("JPEG", width, height);
            }
            pos += length;
        }
    }

    private static ImageHeader bmp(byte[] d) {
        if (d.length < 26) {
            throw cut("BMP", d, "file header cut short");
        }
        long dib = u32le(d, 14);
        if (dib == 12) { // OS/2 BITMAPCOREHEADER: 16-bit sizes
            return new ImageHeader("BMP", u16le(d, 18), u16le(d, 20));
        }
        if (dib < 40 || d.length < 26) {
            throw cut("BMP", d, "unknown bitmap header of " + dib + " bytes");
        }
        long w = (int) u32le(d, 18);
        long h = Math.abs((long) (int) u32le(d, 22)); // negative height = top-down rows
        if (w <= 0 || h == 0) {
            throw new KensaException("cannot decode BMP image (" + d.length + " bytes): declares " + w + "x" + h);
        }
        return new ImageHeader("BMP", w, h);
    }

    private static ImageHeader tiff(byte[] d) {
        boolean le = d[0] == 'I';
        if (d.length < 8) {
            throw cut("TIFF", d, "header cut short");
        }
        long ifd = le ? u32le(d, 4) : u32be(d, 4);
        if (ifd < 8 || ifd + 2 > d.length) {
            throw cut("TIFF", d, "first image directory outside the file");
        }
        int at = (int) ifd;
        int n = le ? u16le(d, at) : u16be(d, at);
        long width = -1, height = -1;
        for (int i = 0; i < n; i++) {
            int e = at + 2 + 12 * i;
            if (e + 12 > d.length) {
                throw cut("TIFF", d, "image directory cut short");
            }
            int tag = le ? u16le(d, e) : u16be(d, e);
            int type = le ? u16le(d, e + 2) : u16be(d, e + 2);
            if (tag != 256 && tag != 257) {
                continue;
            }
            long v;
            if (type == 3) { // SHORT: in the first two bytes of the value field
                v = le ? u16le(d, e + 8) : u16be(d, e + 8);
            } else if (type == 4) { // LONG
                v = le ? u32le(d, e + 8) : u32be(d, e + 8);
            } else {
                throw new KensaException("cannot decode TIFF image (" + d.length + " bytes): image size of type " + type);
            }
            if (tag == 256) {
                width = v;
            } else {
                height = v;
            }
        }
        if (width <= 0 || height <= 0) {
            throw new KensaException("cannot decode TIFF image (" + d.length + " bytes): no image width and length tags");
        }
        return new ImageHeader("TIFF", width, height);
    }

    private static ImageHeader webp(byte[] d) {
        if (d.length < 30) {
            throw cut("WebP", d, "header cut short");
        }
        if (startsAt(d, 12, 'V', 'P', '8', ' ')) { // lossy: frame tag (3), start code 9d 01 2a, 14-bit sizes
            if (!startsAt(d, 23, 0x9d, 0x01, 0x2a)) {
                throw cut("WebP", d, "no VP8 start code");
            }
            return new ImageHeader("WebP", u16le(d, 26) & 0x3fff, u16le(d, 28) & 0x3fff);
        }
        if (startsAt(d, 12, 'V', 'P', '8', 'L')) { // lossless: signature 0x2f, then 14-bit width-1 and height-1
            if ((d[20] & 0xff) != 0x2f) {
                throw cut("WebP", d, "no VP8L signature");
            }
            long bits = u32le(d, 21);
            return new ImageHeader("WebP", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
        }
        if (startsAt(d, 12, 'V', 'P', '8', 'X')) { // extended: 24-bit canvas width-1 and height-1
            return new ImageHeader("WebP", u24le(d, 24) + 1, u24le(d, 27) + 1);
        }
        throw cut("WebP", d, "no VP8, VP8L or VP8X chunk first");
    }

    /** P1..P6: magic, then width and height as decimal text, with whitespace and # comments between. */
    private static ImageHeader pnm(byte[] d) {
        long[] v = new long[2];
        int pos = 2;
        for (int i = 0; i < 2; i++) {
            while (pos < d.length && (isSpace(d[pos]) || d[pos] == '#')) {
                if (d[pos] == '#') {
                    while (pos < d.length && d[pos] != '\n' && d[pos] != '\r') {
                        pos++;
                    }
                } else {
                    pos++;
                }
            }
            int start = pos;
            while (pos < d.length && d[pos] >= '0' && d[pos] <= '9' && pos - start < 12) {
                v[i] = v[i] * 10 + (d[pos++] - '0');
            }
            if (pos == start || pos >= d.length || !isSpace(d[pos])) {
                throw cut("PNM", d, "no width and height");
            }
        }
        if (v[0] == 0 || v[1] == 0) {
            throw new KensaException("cannot decode PNM image (" + d.length + " bytes): declares " + v[0] + "x" + v[1]);
        }
        return new ImageHeader("PNM", v[0], v[1]);
    }

    /** Formats the decoder knows but whose header Kensa does not read: named, so the refusal says what it saw. */
    private static String otherFormat(byte[] d) {
        if (starts(d, 0xff, 0x4f, 0xff, 0x51) || starts(d, 0, 0, 0, 0x0c, 'j', 'P', ' ', ' ')) {
            return "JPEG 2000";
        }
        if (starts(d, 0x76, 0x2f, 0x31, 0x01)) {
            return "OpenEXR";
        }
        if (starts(d, '#', '?')) {
            return "Radiance HDR";
        }
        if (starts(d, 'G', 'I', 'F', '8')) {
            return "GIF";
        }
        if (starts(d, 0x59, 0xa6, 0x6a, 0x95)) {
            return "Sun raster";
        }
        if (starts(d, 'P', 'F') || starts(d, 'P', 'f')) {
            return "PFM";
        }
        if (starts(d, 'P', '7')) {
            return "PAM";
        }
        if (starts(d, 'I', 'I', 43, 0) || starts(d, 'M', 'M', 0, 43)) {
            return "BigTIFF";
        }
        return null;
    }

    private static KensaException cut(String format, byte[] d, String what) {
        return new KensaException("truncated " + format + " (" + d.length + " bytes): " + what);
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == 0x0c;
    }

    static boolean starts(byte[] d, int... prefix) {
        return startsAt(d, 0, prefix);
    }

    static boolean startsAt(byte[] d, int at, int... prefix) {
        if (d.length < at + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((d[at + i] & 0xff) != (prefix[i] & 0xff)) {
                return false;
            }
        }
        return true;
    }

    static int u16be(byte[] d, int at) {
        return ((d[at] & 0xff) << 8) | (d[at + 1] & 0xff);
    }

    static int u16le(byte[] d, int at) {
        return (d[at] & 0xff) | ((d[at + 1] & 0xff) << 8);
    }

    static long u24le(byte[] d, int at) {
        return (d[at] & 0xff) | ((d[at + 1] & 0xff) << 8) | ((long) (d[at + 2] & 0xff) << 16);
    }

    static long u32be(byte[] d, int at) {
        return ((long) u16be(d, at) << 16) | u16be(d, at + 2);
    }

    static long u32le(byte[] d, int at) {
        return u16le(d, at) | ((long) u16le(d, at + 2) << 16);
    }
}
