package dev.kensa.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Image bombs made by the test: valid headers declaring huge sizes, followed by a little real image data (a few KB),
 * so a decoder that trusts the header allocates and decodes the whole declared image.
 */
public final class CraftedImages {
    private CraftedImages() {
    }

    /** An 8-bit RGB PNG header, the zlib-compressed start of its first rows, and IEND. */
    public static byte[] png(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        out.writeBytes(chunk("IHDR", ihdr.array()));
        Deflater z = new Deflater(9);
        z.setInput(new byte[256 * 1024]); // the first rows: filter 0, black
        byte[] buf = new byte[64 * 1024];
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        z.finish();
        while (!z.finished()) {
            idat.write(buf, 0, z.deflate(buf));
        }
        out.writeBytes(chunk("IDAT", idat.toByteArray()));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /**
     * A baseline JPEG whose Huffman tables have one 1-bit code each (DC size 0, AC end-of-block), so every 8x8 block
     * costs 2 bits: 4 KB of zero bytes are 16384 real blocks; the rest of the declared image is missing.
     */
    public static byte[] jpeg(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0xff, (byte) 0xd8});
        byte[] dqt = new byte[65];
        java.util.Arrays.fill(dqt, 1, 65, (byte) 1);
        segment(out, 0xdb, dqt);
        segment(out, 0xc0, new byte[]{8, (byte) (height >> 8), (byte) height, (byte) (width >> 8), (byte) width, 1,
                1, 0x11, 0});
        byte[] dht = new byte[2 * 18];
        dht[0] = 0x00; // DC table 0: one code of length 1 -> symbol 0
        dht[1] = 1;
        dht[18] = 0x10; // AC table 0: one code of length 1 -> symbol 0x00 (EOB)
        dht[19] = 1;
        segment(out, 0xc4, dht);
        segment(out, 0xda, new byte[]{1, 1, 0x00, 0, 63, 0});
        out.writeBytes(new byte[4096]);
        out.writeBytes(new byte[]{(byte) 0xff, (byte) 0xd9});
        return out.toByteArray();
    }

    public static byte[] bmp(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(54 + 4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + 4096).putInt(0).putInt(54);
        b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(0).putInt(0).putInt(0).putInt(0);
        return b.array();
    }

    /** Little-endian TIFF, one directory: width, length (LONG), 8-bit RGB, one uncompressed strip of 4 KB. */
    public static byte[] tiff(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 12 * 6 + 4 + 4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        b.putShort((short) 6);
        entry(b, 256, 4, width);
        entry(b, 257, 4, height);
        entry(b, 258, 3, 8);
        entry(b, 262, 3, 2);
        entry(b, 273, 4, 8 + 2 + 12 * 6 + 4);
        entry(b, 277, 3, 3);
        b.putInt(0);
        return b.array();
    }

    /** WebP lossless (VP8L) header: 14-bit sizes, so at most 16384 per side. */
    public static byte[] webp(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(30 + 4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(22 + 4096).put("WEBP".getBytes()).put("VP8L".getBytes()).putInt(5 + 4096);
        b.put((byte) 0x2f).putInt((width - 1) | ((height - 1) << 14));
        return b.array();
    }

    public static byte[] ppm(int width, int height) {
        byte[] head = ("P6\n# crafted\n" + width + " " + height + "\n255\n").getBytes();
        return java.util.Arrays.copyOf(head, head.length + 4096);
    }

    private static void entry(ByteBuffer b, int tag, int type, int value) {
        b.putShort((short) tag).putShort((short) type).putInt(1);
        if (type == 3) {
            b.putShort((short) value).putShort((short) 0);
        } else {
            b.putInt(value);
        }
    }

    private static void segment(ByteArrayOutputStream out, int marker, byte[] body) {
        out.write(0xff);
        out.write(marker);
        out.write((body.length + 2) >> 8);
        out.write(body.length + 2);
        out.writeBytes(body);
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(type.getBytes()).put(data);
        CRC32 crc = new CRC32();
        crc.update(type.getBytes());
        crc.update(data);
        return b.putInt((int) crc.getValue()).array();
    }

    /** A real image decoded with OpenCV and encoded again in another format (".jpg", ".bmp", ...). */
    public static byte[] reencode(byte[] image, String ext) {
        try (org.bytedeco.javacpp.BytePointer in = new org.bytedeco.javacpp.BytePointer(image);
             org.bytedeco.opencv.opencv_core.Mat raw = new org.bytedeco.opencv.opencv_core.Mat(1, image.length,
                     org.bytedeco.opencv.global.opencv_core.CV_8U, in);
             org.bytedeco.opencv.opencv_core.Mat m = org.bytedeco.opencv.global.opencv_imgcodecs.imdecode(raw,
                     org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR);
             org.bytedeco.javacpp.BytePointer out = new org.bytedeco.javacpp.BytePointer()) {
            if (!org.bytedeco.opencv.global.opencv_imgcodecs.imencode(ext, m, out)) {
                throw new IllegalStateException("cannot encode " + ext);
            }
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    /** Resident set size of this process in bytes (Linux). */
    public static long rssBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
