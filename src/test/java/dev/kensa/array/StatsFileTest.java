package dev.kensa.array;

import dev.kensa.testing.RandomGaussians;

import dev.kensa.score.GaussianStats;
import dev.kensa.score.HalfFloat;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsFileTest {
    @TempDir
    Path tmp;

    @Test
    void float32RoundTripIsExact() {
        GaussianStats stats = RandomGaussians.stats(1, 4, 5, 3);
        Path file = tmp.resolve("stats.bin");
        StatsFile.write(file, stats);

        GaussianStats back = StatsFile.read(file);
        assertEquals(GaussianStats.Dtype.FLOAT32, back.dtype());
        assertEquals(4, back.gridHeight());
        assertEquals(5, back.gridWidth());
        assertEquals(3, back.dims());
        assertArrayEquals(stats.mean(), back.mean());
        assertArrayEquals(stats.factor32(), back.factor32());
        assertNull(back.factor16());
    }

    @Test
    void float16RoundTripKeepsHalfBitsAndFloat32Means() throws IOException {
        GaussianStats stats = RandomGaussians.stats(2, 4, 4, 3);
        GaussianStats half = stats.toFloat16();
        Path file = tmp.resolve("stats16.bin");
        StatsFile.write(file, half);

        int p = 16;
        int packed = GaussianStats.packedSize(3);
        assertEquals(64 + 4L * p * 3 + 2L * p * packed, Files.size(file));

        GaussianStats back = StatsFile.read(file);
        assertEquals(GaussianStats.Dtype.FLOAT16, back.dtype());
        assertArrayEquals(stats.mean(), back.mean(), "means stay float32, exact");
        assertArrayEquals(half.factor16(), back.factor16());
        for (int i = 0; i < stats.factor32().length; i++) {
            float w = stats.factor32()[i];
            float r = HalfFloat.toFloat(back.factor16()[i]);
            // half precision: 11 significant bits, relative error at most 2^-11 (zeros stay zero)
            assertEquals(w, r, Math.abs(w) * 0x1p-11f + 1e-7f, "factor value " + i);
        }
    }

    @Test
    void headerIsLittleEndianAsDocumented() throws IOException {
        Path file = tmp.resolve("stats.bin");
        StatsFile.write(file, RandomGaussians.stats(3, 2, 3, 4).toFloat16());
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        h.get(magic);
        assertEquals("KNSTATS1", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, h.getInt(8));
        assertEquals(1, h.getInt(12));
        assertEquals(4, h.getInt(16));
        assertEquals(6, h.getInt(20));
        assertEquals(2, h.getInt(24));
        assertEquals(3, h.getInt(28));
        for (int i = 32; i < 64; i++) {
            assertEquals(0, h.get(i));
        }
        assertEquals(h.getFloat(64), StatsFile.read(file).mean()[0]);
    }

    @Test
    void truncatedFileNamesBothSizes() throws IOException {
        Path file = tmp.resolve("stats.bin");
        StatsFile.write(file, RandomGaussians.stats(4, 4, 4, 3).toFloat16());
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 10);
        }
        ArrayException e = assertThrows(ArrayException.class, () -> StatsFile.read(file));
        assertEquals(file + ": " + (size - 10) + " bytes, expected " + size + " for float16 d=3 P=16", e.getMessage());
    }

    @Test
    void refusesWrongMagicVersionAndGrid() throws IOException {
        Path file = tmp.resolve("stats.bin");
        StatsFile.write(file, RandomGaussians.stats(5, 4, 4, 3));
        byte[] good = Files.readAllBytes(file);

        byte[] bad = good.clone();
        bad[0] = 'X';
        Files.write(file, bad);
        assertTrue(message(file).contains("not a Kensa stats file"), message(file));

        bad = good.clone();
        bad[8] = 2;
        Files.write(file, bad);
        assertTrue(message(file).contains("stats version 2"), message(file));

        bad = good.clone();
        bad[12] = 9;
        Files.write(file, bad);
        assertTrue(message(file).contains("unknown dtype code 9"), message(file));

        bad = good.clone();
        bad[20] = 15; // P=15 but grid 4x4
        Files.write(file, bad);
        assertTrue(message(file).contains("header says P=15 but grid 4x4 = 16"), message(file));

        Files.write(file, new byte[10]);
        assertTrue(message(file).contains("10 bytes, shorter than the 64-byte header"), message(file));
    }

    @Test
    void refusesNonFiniteValues() {
        GaussianStats stats = RandomGaussians.stats(6, 2, 2, 3);
        stats.mean()[4] = Float.NaN; // patch 1 (d=3)
        ArrayException e = assertThrows(ArrayException.class, () -> StatsFile.write(tmp.resolve("nan.bin"), stats));
        assertTrue(e.getMessage().contains("mean of patch 1 holds NaN"), e.getMessage());

        GaussianStats big = RandomGaussians.stats(7, 2, 2, 3);
        big.factor32()[0] = 1e6f; // beyond float16's 65504
        e = assertThrows(ArrayException.class, () -> StatsFile.write(tmp.resolve("inf.bin"), big.toFloat16()));
        assertTrue(e.getMessage().contains("factor of patch 0"), e.getMessage());
    }

    @Test
    void productionSizeRoundTripsExactly() {
        // the production size: d=100 on a 56x56 grid, 63 MB at float32, more than one bulk-copy chunk per array
        int d = 100;
        int p = 56 * 56;
        float[] mean = new float[p * d];
        float[] factor = new float[p * GaussianStats.packedSize(d)];
        for (int i = 0; i < factor.length; i++) {
            factor[i] = (i % 977) * 1e-3f;
        }
        for (int i = 0; i < mean.length; i++) {
            mean[i] = i * 1e-4f;
        }
        Path file = tmp.resolve("big.bin");
        StatsFile.write(file, GaussianStats.ofFloat32(56, 56, d, mean, factor));
        GaussianStats back = StatsFile.read(file);
        assertArrayEquals(mean, back.mean());
        assertArrayEquals(factor, back.factor32());
    }

    private static String message(Path file) {
        return assertThrows(ArrayException.class, () -> StatsFile.read(file)).getMessage();
    }
}
