package dev.kensa.array;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static dev.kensa.testing.OneLine.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the fixtures NumPy wrote (src/test/resources/npy, made by make_fixtures.py there, whose formulas the
 * expected values below repeat) and compares every value exactly.
 */
class NpyTest {

    static Path fixture(String name) {
        URL url = NpyTest.class.getResource("/npy/" + name);
        assertNotNull(url, "fixture " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** f4.npy: (float) (i * 0.1 - 0.5), i = 0..11, shape (3, 4). */
    static float[] f4Values() {
        float[] v = new float[12];
        for (int i = 0; i < 12; i++) {
            v[i] = (float) (i * 0.1 - 0.5);
        }
        return v;
    }

    /** f8.npy: (i - 5) / 3.0, i = 0..11, shape (3, 4). */
    static double[] f8Values() {
        double[] v = new double[12];
        for (int i = 0; i < 12; i++) {
            v[i] = (i - 5) / 3.0;
        }
        return v;
    }

    /** f4_3d.npy and f8_3d_fortran_be.npy: a * 100 + b * 10 + c + 0.25 at [a, b, c] of shape (2, 3, 4), row-major. */
    static double[] cubeValues() {
        double[] v = new double[24];
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    v[a * 12 + b * 4 + c] = a * 100.0 + b * 10.0 + c + 0.25;
                }
            }
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f4.npy", "f4_be.npy", "f4_fortran.npy", "f4_v2.npy", "f4_v3.npy"})
    void float32VariantsReadExactlyInCOrder(String name) {
        NpyArray a = Npy.read(fixture(name));
        assertEquals(NpyType.FLOAT32, a.type());
        assertArrayEquals(new int[]{3, 4}, a.shape());
        assertEquals(name.contains("fortran"), a.fortranOrder());
        assertArrayEquals(f4Values(), a.floats());
        assertEquals((float) (6 * 0.1 - 0.5), a.get(1, 2));
        assertEquals(-1, a.firstNonFinite());
    }

    @ParameterizedTest
    @ValueSource(strings = {"f8.npy", "f8_be.npy"})
    void float64VariantsReadExactly(String name) {
        NpyArray a = Npy.read(fixture(name));
        assertEquals(NpyType.FLOAT64, a.type());
        assertArrayEquals(new int[]{3, 4}, a.shape());
        assertArrayEquals(f8Values(), a.doubles());
        assertSame(a.doubles(), a.doubles(), "float64 data are handed out without a copy");
    }

    @Test
    void headersSayWhatNumpyWrote() {
        NpyHeader le = Npy.readHeader(fixture("f4.npy"));
        assertEquals(1, le.majorVersion());
        assertEquals("<f4", le.descr());
        assertEquals(ByteOrder.LITTLE_ENDIAN, le.byteOrder());
        assertEquals(List.of(3, 4), le.shape());
        assertEquals(128, le.dataOffset(), "NumPy pads the header to a multiple of 64 bytes");
        assertEquals(48, le.dataBytes());

        NpyHeader be = Npy.readHeader(fixture("f8_3d_fortran_be.npy"));
        assertEquals(">f8", be.descr());
        assertEquals(ByteOrder.BIG_ENDIAN, be.byteOrder());
        assertTrue(be.fortranOrder());
        assertEquals("(2, 3, 4)", be.shapeText());

        assertEquals(2, Npy.readHeader(fixture("f4_v2.npy")).majorVersion());
        assertEquals(3, Npy.readHeader(fixture("f4_v3.npy")).majorVersion());
        assertEquals("(5,)", Npy.readHeader(fixture("f4_1d.npy")).shapeText());
        assertEquals("()", Npy.readHeader(fixture("f8_0d.npy")).shapeText());
    }

    @Test
    void threeDimensionalArraysInBothOrders() {
        NpyArray c = Npy.read(fixture("f4_3d.npy"));
        assertArrayEquals(new int[]{2, 3, 4}, c.shape());
        assertArrayEquals(cubeValues(), c.doubles());
        assertEquals(112.25, c.get(1, 1, 2));

        NpyArray f = Npy.read(fixture("f8_3d_fortran_be.npy"));
        assertEquals(NpyType.FLOAT64, f.type());
        assertArrayEquals(new int[]{2, 3, 4}, f.shape());
        assertTrue(f.fortranOrder());
        assertArrayEquals(cubeValues(), f.doubles(), "column-major data placed in row-major order");
        assertEquals(123.25, f.get(1, 2, 3));
    }

    @Test
    void zeroOneAndEmptyShapes() {
        NpyArray scalar = Npy.read(fixture("f8_0d.npy"));
        assertEquals(0, scalar.rank());
        assertEquals(1, scalar.elementCount());
        assertEquals(-2.75, scalar.get());

        NpyArray line = Npy.read(fixture("f4_1d.npy"));
        assertArrayEquals(new int[]{5}, line.shape());
        float[] v = line.floats();
        assertArrayEquals(new float[]{1.5f, -0.0f, Float.MAX_VALUE, Float.MIN_VALUE, -7f}, v);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(v[1]), "negative zero kept");

        NpyArray empty = Npy.read(fixture("f4_empty.npy"));
        assertArrayEquals(new int[]{0, 3}, empty.shape());
        assertEquals(0, empty.elementCount());
    }

    @Test
    void integerArraysInEveryWidthAndOrder() {
        long[] idx = {0, 7, 100, 447, 3};
        for (String name : List.of("i8.npy", "i8_be.npy")) {
            NpyArray a = Npy.read(fixture(name));
            assertEquals(NpyType.INT64, a.type(), name);
            assertArrayEquals(idx, a.longs(), name);
            assertArrayEquals(new int[]{0, 7, 100, 447, 3}, a.ints(), name);
        }
        long[] ext = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
        for (String name : List.of("i4.npy", "i4_be.npy")) {
            NpyArray a = Npy.read(fixture(name));
            assertEquals(NpyType.INT32, a.type(), name);
            assertArrayEquals(ext, a.longs(), name);
        }
        NpyArray u1 = Npy.read(fixture("u1.npy"));
        assertEquals(NpyType.UINT8, u1.type());
        assertArrayEquals(new long[]{0, 1, 127, 128, 255}, u1.longs());
        NpyArray i1 = Npy.read(fixture("i1.npy"));
        assertEquals(NpyType.INT8, i1.type());
        assertArrayEquals(new long[]{-128, -1, 0, 1, 127}, i1.longs());

        NpyArray fortran = Npy.read(fixture("i4_fortran.npy"));
        assertTrue(fortran.fortranOrder());
        assertArrayEquals(new long[]{0, 1, 2, 3, 4, 5}, fortran.longs(), "arange(6).reshape(2, 3), row-major");
    }

    @Test
    void conversionsAreExactOrRefused() {
        NpyArray idx = Npy.read(fixture("i8.npy"));
        assertArrayEquals(new float[]{0, 7, 100, 447, 3}, idx.floats());
        assertArrayEquals(new double[]{Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}, Npy.read(fixture("i4.npy")).doubles());
        double[] widened = Npy.read(fixture("f4.npy")).doubles();
        for (int i = 0; i < 12; i++) {
            assertEquals((double) f4Values()[i], widened[i]);
        }

        String notInteger = assertThrows(ArrayException.class, () -> Npy.read(fixture("f4.npy")).longs()).getMessage();
        assertOneLine(notInteger, fixture("f4.npy").toString(), "value at [0, 0] of float32 shape (3, 4)", "-0.5", "not an integer");

        String beyondInt = assertThrows(ArrayException.class, () -> NpyArray.of(new long[]{1, 1L << 40}, 2).ints()).getMessage();
        assertOneLine(beyondInt, "value at [1]", "1099511627776", "int32");

        String inexact = assertThrows(ArrayException.class, () -> NpyArray.of(new long[]{(1L << 24) + 1}, 1).floats()).getMessage();
        assertOneLine(inexact, "16777217", "no exact float32");

        String overflow = assertThrows(ArrayException.class, () -> NpyArray.of(new double[]{1, 1e300}, 2).floats()).getMessage();
        assertOneLine(overflow, "value at [1]", "beyond float32");
        assertArrayEquals(new long[]{3, -4}, NpyArray.of(new double[]{3, -4}, 2).longs(), "whole-number floats convert");
    }

    @Test
    void nanAndInfinityAreFoundWithTheirPosition() {
        NpyArray a = Npy.read(fixture("f4_nan_inf.npy"));
        assertEquals(6, a.firstNonFinite());
        assertArrayEquals(new int[]{1, 2}, a.index(6));
        String m = assertThrows(ArrayException.class, a::requireFinite).getMessage();
        assertEquals(fixture("f4_nan_inf.npy") + ": NaN at [1, 2] of shape (3, 4)", m);

        float[] v = a.floats();
        v[6] = 0;
        String inf = assertThrows(ArrayException.class, a::requireFinite).getMessage();
        assertOneLine(inf, "+inf at [2, 0]");
        v[8] = 0;
        assertSame(a, a.requireFinite());
        assertEquals(-1, Npy.read(fixture("i8.npy")).firstNonFinite());
    }

    @Test
    void refusalsAreOneLineNamingTheFile() {
        refused("bad_truncated.npy", "truncated: shape (3, 4) float32 needs 48 bytes of data, the file holds 42");
        refused("bad_header.npy", "corrupt header: expected an integer or ')' at character 58 of \"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4 , }\"");
        refused("bad_version.npy", ".npy format version 9.0 is not supported");
        refused("bad_npz.npy", "not a NumPy .npy file", "zip", ".npz");
        refused("bad_object.npy", "dtype '|O'", "pickled Python objects");
        refused("bad_structured.npy", "structured dtype");
        refused("bad_float16.npy", "dtype '<f2' is not supported");
        refused("bad_huge_shape.npy",
                "truncated: shape (1000000, 1000000) float32 needs 4000000000000 bytes of data, the file holds 48");
        refused("bad_two_arrays.npy", "224 bytes after the data of shape (3, 4) float32");
        refused("bad_pickle.npy", "not a NumPy .npy file", "Python pickle");
        String missing = assertThrows(ArrayException.class, () -> Npy.read(Path.of("no/such.npy"))).getMessage();
        assertEquals("no/such.npy: missing", missing);
    }

    private static void refused(String name, String... parts) {
        Path file = fixture(name);
        String m = assertThrows(ArrayException.class, () -> Npy.read(file), name).getMessage();
        assertTrue(m.startsWith(file + ": "), "names the file: " + m);
        assertOneLine(m, parts);
        String h = assertThrows(ArrayException.class, () -> Npy.readHeader(file), name).getMessage();
        assertEquals(m, h, "the header alone is refused the same way");
    }
}
