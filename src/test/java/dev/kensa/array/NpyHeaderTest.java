package dev.kensa.array;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.kensa.testing.OneLine.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Headers NumPy would not write but a hand-made or damaged file holds: the parser's edges and the size checks. */
class NpyHeaderTest {
    @TempDir
    Path tmp;

    /** A version 1.0 file with header {@code dict} followed by {@code dataBytes} bytes 0, 1, 2, ... */
    private Path file(String dict, int dataBytes) throws IOException {
        byte[] header = Npy.headerBytes(dict);
        byte[] all = new byte[header.length + dataBytes];
        System.arraycopy(header, 0, all, 0, header.length);
        for (int i = 0; i < dataBytes; i++) {
            all[header.length + i] = (byte) i;
        }
        Path f = Files.createTempFile(tmp, "h", ".npy");
        Files.write(f, all);
        return f;
    }

    private String refusal(String dict, int dataBytes) throws IOException {
        Path f = file(dict, dataBytes);
        String m = assertThrows(ArrayException.class, () -> Npy.read(f)).getMessage();
        assertTrue(m.startsWith(f + ": "), "names the file: " + m);
        assertOneLine(m);
        return m.substring(f.toString().length() + 2);
    }

    @Test
    void acceptsWhatNumpysReaderAccepts() throws IOException {
        // other key order, double quotes, no trailing comma, Python 2 long literals, odd spacing
        NpyArray a = Npy.read(file("{\"shape\":(2L,3L),\"fortran_order\":True,\"descr\":'<i1'}", 6));
        assertArrayEquals(new int[]{2, 3}, a.shape());
        assertTrue(a.fortranOrder());
        // bytes 0..5 stored column-major: [[0, 2, 4], [1, 3, 5]]
        assertArrayEquals(new long[]{0, 2, 4, 1, 3, 5}, a.longs());

        NpyArray one = Npy.read(file("{ 'descr' : '|u1' , 'fortran_order' : False , 'shape' : ( 4 , ) , }", 4));
        assertArrayEquals(new int[]{4}, one.shape());
        assertArrayEquals(new long[]{0, 1, 2, 3}, one.longs());
    }

    @Test
    void refusesWhatIsNotAPlainHeader() throws IOException {
        assertEquals("corrupt header: (n) without a comma is not a tuple at character 52 of "
                + "\"{'descr': '<f4', 'fortran_order': False, 'shape': (3), }\"",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", 12));
        assertEquals("'shape' is a list, expected a tuple of integers",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': [3], }", 12));
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (03,), }", 12), "leading zero");
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 12), "negative dimension");
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }", 12), "expected an integer");
        assertEquals("header lacks 'fortran_order'", refusal("{'descr': '<f4', 'shape': (3,), }", 12));
        assertEquals("header has the unexpected key 'align' (a .npy header holds 'descr', 'fortran_order' and 'shape')",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'align': True}", 12));
        assertEquals("header repeats the key 'shape'",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}", 12));
        assertEquals("'fortran_order' is an integer, expected True or False",
                refusal("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", 12));
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", 12),
                "expected a string, True, False or a tuple");
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk", 12),
                "unexpected text after the dict");
        assertOneLine(refusal("{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", 12), "expected ',' or '}'");
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", 12), "header ends early");
        assertOneLine(refusal("{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (3,)}", 12), "unexpected escape");
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (3,)}", 12),
                "expected a string, True, False or a tuple");
        assertEquals("dtype '=f4' is not supported (float32, float64, int8, uint8, int32, int64 are, little- or big-endian)",
                refusal("{'descr': '=f4', 'fortran_order': False, 'shape': (3,)}", 12));
        assertEquals("dtype '|f4' has no byte order ('<' or '>' expected)",
                refusal("{'descr': '|f4', 'fortran_order': False, 'shape': (3,)}", 12));
        assertOneLine(refusal("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}", 24), "'<c8' is not supported");
        assertOneLine(refusal("{'descr': '<U5', 'fortran_order': False, 'shape': (3,)}", 60), "'<U5' is not supported");
    }

    @Test
    void shapesThatCannotBeAllocatedAreRefusedBeforeAllocating() throws IOException {
        assertEquals("shape (1099511627776, 1099511627776) overflows (more than 2^63 elements)",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", 48));
        assertEquals("shape (2147483648, 2147483648) overflows (more than 2^63 bytes of data)",
                refusal("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483648, 2147483648), }", 48));
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0),
                "dimension 99999999999999999999 overflows a 64-bit integer");
        assertEquals("shape (0, 3000000000) has a dimension over 2147483639",
                refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3000000000), }", 0));
        assertOneLine(refusal("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(65) + "), }", 4),
                "65 dimensions, more than NumPy's 64");

        // 2^31 one-byte elements: the file really holds them (sparse), but no Java array does
        Path big = file("{'descr': '|u1', 'fortran_order': False, 'shape': (2147483648,), }", 0);
        try (FileChannel ch = FileChannel.open(big, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{1}), 128 + (1L << 31) - 1);
        }
        String m = assertThrows(ArrayException.class, () -> Npy.read(big)).getMessage();
        assertEquals(big + ": shape (2147483648,) holds 2147483648 elements, more than a Java array holds (2147483639)", m);
    }

    @Test
    void damagedPrefixes() throws IOException {
        Path shortFile = tmp.resolve("short.npy");
        Files.write(shortFile, new byte[]{(byte) 0x93, 'N', 'U'});
        assertEquals(shortFile + ": not a NumPy .npy file (3 bytes, too short for the magic)",
                assertThrows(ArrayException.class, () -> Npy.read(shortFile)).getMessage());

        Path prefixOnly = tmp.resolve("prefix.npy");
        Files.write(prefixOnly, new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        assertEquals(prefixOnly + ": truncated: 8 bytes, shorter than the .npy prefix",
                assertThrows(ArrayException.class, () -> Npy.read(prefixOnly)).getMessage());

        Path text = tmp.resolve("text.npy");
        Files.writeString(text, "mean,std\n1,2\n");
        assertEquals(text + ": not a NumPy .npy file (starts with 6d 65 61 6e 2c 73, expected 93 4e 55 4d 50 59 = \\x93NUMPY)",
                assertThrows(ArrayException.class, () -> Npy.read(text)).getMessage());

        // version 2.0 claiming a 2 GiB header: refused without reading it
        Path hugeHeader = tmp.resolve("hugeheader.npy");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Npy.MAGIC).put((byte) 2).put((byte) 0).putInt(Integer.MAX_VALUE);
        Files.write(hugeHeader, b.array());
        assertEquals(hugeHeader + ": header of 2147483647 bytes, more than the 1048576 this reader accepts "
                        + "(corrupt, or not a plain numeric array)",
                assertThrows(ArrayException.class, () -> Npy.read(hugeHeader)).getMessage());

        Path cutHeader = tmp.resolve("cutheader.npy");
        Files.write(cutHeader, java.util.Arrays.copyOf(Npy.headerBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"), 40));
        assertEquals(cutHeader + ": truncated: header of 118 bytes, the file holds 30 after the prefix",
                assertThrows(ArrayException.class, () -> Npy.read(cutHeader)).getMessage());

        // version 3.0 headers are UTF-8: invalid bytes are a corrupt header, not mojibake
        Path badUtf8 = tmp.resolve("badutf8.npy");
        byte[] dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }    \n".getBytes(StandardCharsets.US_ASCII);
        dict[dict.length - 3] = (byte) 0xC3; // a UTF-8 lead byte followed by a space
        ByteBuffer v3 = ByteBuffer.allocate(12 + dict.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        v3.put(Npy.MAGIC).put((byte) 3).put((byte) 0).putInt(dict.length).put(dict);
        Files.write(badUtf8, v3.array());
        assertEquals(badUtf8 + ": corrupt header: not valid UTF-8 (format 3.0)",
                assertThrows(ArrayException.class, () -> Npy.read(badUtf8)).getMessage());
    }

    @Test
    void fortranWalkVisitsEveryPositionOnce() {
        int[] shape = {2, 3, 4, 5};
        Npy.FortranWalk walk = new Npy.FortranWalk(shape);
        boolean[] seen = new boolean[120];
        for (int f = 0; f < 120; f++) {
            // column-major position f -> index (first axis fastest) -> row-major position
            int rest = f;
            int[] idx = new int[4];
            for (int k = 0; k < 4; k++) {
                idx[k] = rest % shape[k];
                rest /= shape[k];
            }
            int c = ((idx[0] * 3 + idx[1]) * 4 + idx[2]) * 5 + idx[3];
            assertEquals(c, walk.next(), "element " + f + " " + List.of(idx[0], idx[1], idx[2], idx[3]));
            seen[c] = true;
        }
        for (boolean s : seen) {
            assertTrue(s);
        }
    }
}
