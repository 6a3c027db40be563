package dev.kensa.array;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static dev.kensa.array.NpyTest.cubeValues;
import static dev.kensa.array.NpyTest.f4Values;
import static dev.kensa.array.NpyTest.f8Values;
import static dev.kensa.array.NpyTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NpyWriterTest {
    @TempDir
    Path tmp;

    private byte[] written(String name, NpyArray array) throws IOException {
        Path f = tmp.resolve(name);
        Npy.write(f, array);
        return Files.readAllBytes(f);
    }

    /** The writer's output is byte for byte what numpy.save wrote for the same little-endian C-order array. */
    @Test
    void writesWhatNumpySaveWrites() throws IOException {
        assertArrayEquals(Files.readAllBytes(fixture("f4.npy")), written("f4.npy", NpyArray.of(f4Values(), 3, 4)));
        assertArrayEquals(Files.readAllBytes(fixture("f8.npy")), written("f8.npy", NpyArray.of(f8Values(), 3, 4)));
        assertArrayEquals(Files.readAllBytes(fixture("i8.npy")), written("i8.npy", NpyArray.of(new long[]{0, 7, 100, 447, 3}, 5)));
        assertArrayEquals(Files.readAllBytes(fixture("f8_0d.npy")), written("f8_0d.npy", NpyArray.of(new double[]{-2.75})));
        assertArrayEquals(Files.readAllBytes(fixture("f4_empty.npy")), written("empty.npy", NpyArray.of(new float[0], 0, 3)));
        int[] rank15 = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};
        assertArrayEquals(Files.readAllBytes(fixture("f4_rank15.npy")), written("rank15.npy", NpyArray.of(new float[]{0.5f, 0.5f}, rank15)));
        float[] cube = new float[24];
        double[] c = cubeValues();
        for (int i = 0; i < 24; i++) {
            cube[i] = (float) c[i];
        }
        assertArrayEquals(Files.readAllBytes(fixture("f4_3d.npy")), written("f4_3d.npy", NpyArray.of(cube, 2, 3, 4)));
    }

    /** What was read from any variant (big-endian, Fortran order, int32) writes back as little-endian C order. */
    @Test
    void readVariantsWriteBackNormalised() throws IOException {
        assertArrayEquals(Files.readAllBytes(fixture("f4.npy")), written("a.npy", Npy.read(fixture("f4_fortran.npy"))));
        assertArrayEquals(Files.readAllBytes(fixture("f8.npy")), written("b.npy", Npy.read(fixture("f8_be.npy"))));
        Path c = tmp.resolve("c.npy");
        Npy.write(c, Npy.read(fixture("i4_be.npy")));
        NpyArray i4 = Npy.read(c);
        assertEquals(NpyType.INT64, i4.type(), "integers are written as int64");
        assertArrayEquals(new long[]{Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}, i4.longs());
    }

    @Test
    void largerArraysRoundTripAcrossChunks() throws IOException {
        // more than one 1 MiB chunk, odd sizes, every float bit pattern kind (NaN payloads included)
        Random rnd = new Random(13);
        float[] f = new float[300_001];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        Path file = tmp.resolve("big.npy");
        Npy.write(file, NpyArray.of(f, 300_001));
        float[] back = Npy.read(file).floats();
        for (int i = 0; i < f.length; i++) {
            assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(back[i]), "element " + i);
        }
    }

    @Test
    void headerIsPaddedTo64BytesAndSwitchesToVersion2OnlyWhenTooLong() {
        byte[] v1 = Npy.headerBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
        assertEquals(0, v1.length % 64);
        assertEquals(1, v1[6]);
        assertEquals(v1.length - 10, ByteBuffer.wrap(v1, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        assertEquals('\n', v1[v1.length - 1]);

        // 65535 is the most a 1.0 header holds; this one needs 2.0's 32-bit length, as NumPy decides
        String longDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" + " ".repeat(65_500);
        byte[] v2 = Npy.headerBytes(longDict);
        assertEquals(0, v2.length % 64);
        assertEquals(2, v2[6]);
        assertEquals(v2.length - 12, ByteBuffer.wrap(v2, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
    }

    @Test
    void arraysMadeInJavaAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> NpyArray.of(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> NpyArray.of(new float[0], -1));
        assertThrows(IllegalArgumentException.class, () -> NpyArray.of(new float[1], new int[65]));
        assertThrows(IllegalArgumentException.class, () -> NpyArray.of(new float[1], 65536, 65536, 65536));
        NpyArray a = NpyArray.of(new float[6], 2, 3);
        assertFalse(a.fortranOrder());
        assertEquals("NpyArray[array, float32 (2, 3)]", a.toString());
    }
}
