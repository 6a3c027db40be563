package dev.kensa.array;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.kensa.testing.OneLine.assertOneLine;
import static dev.kensa.array.NpyTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The streaming halves of the .npy support that import and export use for arrays too large to hold whole: slices of
 * NumPy's own files (C order, and big-endian Fortran order) equal the whole-array read, and {@link NpyWriter} writes
 * the same bytes as {@link Npy#write}.
 */
class NpyStreamTest {
    @TempDir
    Path tmp;

    private static List<double[]> slices(Path file) {
        List<double[]> out = new ArrayList<>();
        Npy.forEachSlice(file, (i, values) -> {
            assertEquals(out.size(), i, "slices in order");
            out.add(values.clone());
        });
        return out;
    }

    @Test
    void slicesOfCAndFortranOrderFilesAreTheRowMajorSlicesOfTheWholeArray() {
        double[] cube = NpyTest.cubeValues(); // shape (2, 3, 4)
        for (String name : List.of("f4_3d.npy", "f8_3d_fortran_be.npy")) {
            List<double[]> s = slices(fixture(name));
            assertEquals(2, s.size(), name);
            assertArrayEquals(Arrays.copyOfRange(cube, 0, 12), s.get(0), name);
            assertArrayEquals(Arrays.copyOfRange(cube, 12, 24), s.get(1), name);
        }
        // rows of a matrix, and a big-endian float32 one
        List<double[]> rows = slices(fixture("f4_be.npy"));
        float[] f4 = NpyTest.f4Values();
        assertEquals(3, rows.size());
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(f4[r * 4 + c], rows.get(r)[c]);
            }
        }
    }

    @Test
    void slicesOfTruncatedOrZeroDimensionalFilesAreRefused() {
        assertOneLine(assertThrows(ArrayException.class, () -> Npy.forEachSlice(fixture("bad_truncated.npy"), (i, v) -> { }))
                .getMessage(), "bad_truncated.npy: truncated");
        assertOneLine(assertThrows(ArrayException.class, () -> Npy.forEachSlice(fixture("f8_0d.npy"), (i, v) -> { }))
                .getMessage(), "f8_0d.npy: a 0-d array has no slices");
    }

    @Test
    void streamedFileIsByteForByteWhatNpyWriteWrites() throws Exception {
        double[] values = new double[2 * 3 * 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.sin(i) * 1e3;
        }
        for (NpyType type : List.of(NpyType.FLOAT32, NpyType.FLOAT64)) {
            Path streamed = tmp.resolve("streamed-" + type + ".npy");
            try (NpyWriter w = NpyWriter.create(streamed, type, 2, 3, 5)) {
                w.write(values, 0, 7);       // pieces of any length
                w.write(values, 7, 15);
                w.write(values, 22, 8);
            }
            Path whole = tmp.resolve("whole-" + type + ".npy");
            if (type == NpyType.FLOAT32) {
                float[] f = new float[values.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) values[i];
                }
                Npy.write(whole, NpyArray.of(f, 2, 3, 5));
            } else {
                Npy.write(whole, NpyArray.of(values, 2, 3, 5));
            }
            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed), type.toString());
        }
    }

    @Test
    void writerRefusesTooFewOrTooManyElementsAndLeavesNoFile() {
        Path few = tmp.resolve("few.npy");
        NpyWriter w = NpyWriter.create(few, NpyType.FLOAT64, 4, 4);
        w.write(new double[10]);
        assertOneLine(assertThrows(IllegalStateException.class, w::close).getMessage(), "10 of 16 elements written");
        assertFalse(Files.exists(few), "an incomplete array is removed");

        Path many = tmp.resolve("many.npy");
        try (NpyWriter m = NpyWriter.create(many, NpyType.FLOAT32, 3)) {
            assertThrows(IllegalStateException.class, () -> m.write(new double[4]));
        }
        assertFalse(Files.exists(many));

        Path exists = tmp.resolve("exists.npy");
        NpyWriter.create(exists, NpyType.INT64, 0).close();
        assertOneLine(assertThrows(ArrayException.class, () -> NpyWriter.create(exists, NpyType.INT64, 0)).getMessage(),
                "exists.npy: cannot write");
    }
}
