package dev.kensa.array;

import dev.kensa.testing.PythonNumpy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Arrays written by {@link Npy#write} are loaded by NumPy itself ({@code python3} as a child process), which
 * reports dtype, shape, order, format version, every value and the sum; and arrays NumPy writes (big-endian,
 * Fortran order) are read back here. Skipped, saying so, only where {@code python3} with NumPy is absent, and failed
 * then under CI=true ({@link PythonNumpy}).
 */
class NpyNumpyRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Loads each file named on the command line and prints one JSON line about it; then writes two arrays. */
    private static final String LOAD_AND_SAVE = """
            import json, sys
            import numpy as np
            from numpy.lib import format as npf
            out = sys.argv[1]
            for path in sys.argv[2:]:
                with open(path, 'rb') as f:
                    version = npf.read_magic(f)
                a = np.load(path, allow_pickle=False)
                flat = a.ravel()
                floating = a.dtype.kind == 'f'
                print(json.dumps({
                    'file': path, 'dtype': a.dtype.str, 'shape': list(a.shape), 'version': list(version),
                    'c_order': bool(a.flags.c_contiguous), 'size': int(a.size),
                    'sum': float(a.sum(dtype=np.float64)) if floating else str(sum(int(x) for x in flat)),
                    'values': flat.tolist() if a.size <= 5000 else None,
                    'picks': [flat[i].item() for i in (0, a.size // 2, a.size - 1)] if a.size else []}))
            rng = np.random.default_rng(5)
            cube = np.asfortranarray(rng.standard_normal((5, 6, 7)).astype('>f8'))
            np.save(out + '/py_f8_fortran_be.npy', cube)
            idx = rng.permutation(448)[:100].astype('>i4')
            np.save(out + '/py_i4_be.npy', idx)
            print(json.dumps({'numpy': np.__version__, 'cube': cube.ravel(order='C').tolist(), 'idx': idx.tolist()}))
            """;

    private static String python3WithNumpy() {
        return PythonNumpy.python3("NumPy round trip");
    }

    @TempDir
    Path tmp;

    @Test
    void numpyLoadsWhatKensaWritesAndKensaReadsWhatNumpyWrites() throws Exception {
        String python = python3WithNumpy();
        Random rnd = new Random(42);
        float[] f32 = new float[7 * 11 * 13];
        for (int i = 0; i < f32.length; i++) {
            f32[i] = (float) rnd.nextGaussian();
        }
        f32[0] = -0.0f;
        f32[1] = Float.MAX_VALUE;
        f32[2] = Float.MIN_VALUE;
        double[] f64 = new double[17 * 19];
        for (int i = 0; i < f64.length; i++) {
            f64[i] = rnd.nextGaussian() * 1e3;
        }
        f64[5] = 1e-300;
        f64[6] = -1e300;
        long[] idx = new long[100];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = rnd.nextInt(448);
        }
        idx[0] = Long.MIN_VALUE;
        idx[1] = Long.MAX_VALUE;
        float[] large = new float[300_001];
        for (int i = 0; i < large.length; i++) {
            large[i] = (float) (i % 1000) / 8;
        }

        Map<String, NpyArray> arrays = new HashMap<>();
        arrays.put("f32_3d.npy", NpyArray.of(f32, 7, 11, 13));
        arrays.put("f64_2d.npy", NpyArray.of(f64, 17, 19));
        arrays.put("i64_1d.npy", NpyArray.of(idx, 100));
        arrays.put("f64_0d.npy", NpyArray.of(new double[]{Math.PI}));
        arrays.put("f32_empty.npy", NpyArray.of(new float[0], 0, 5));
        arrays.put("f32_large.npy", NpyArray.of(large, 300_001));
        List<String> command = new ArrayList<>(List.of(python, "-c", LOAD_AND_SAVE, tmp.toString()));
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
            Path f = tmp.resolve(e.getKey());
            Npy.write(f, e.getValue());
            command.add(f.toString());
        }

        List<JsonNode> lines = run(command);
        assertEquals(arrays.size() + 1, lines.size());
        for (JsonNode r : lines.subList(0, arrays.size())) {
            String name = Path.of(r.get("file").asText()).getFileName().toString();
            NpyArray a = arrays.get(name);
            String what = name + " loaded by NumPy";
            assertEquals("<" + a.storageType().code(), r.get("dtype").asText(), what);
            List<Integer> shape = new ArrayList<>();
            r.get("shape").forEach(d -> shape.add(d.asInt()));
            assertEquals(Arrays.stream(a.shape()).boxed().toList(), shape, what);
            assertEquals("[1,0]", r.get("version").toString(), what);
            assertTrue(r.get("c_order").asBoolean(), what);
            assertEquals(a.elementCount(), r.get("size").asInt(), what);
            if (a.storageType() == NpyType.INT64) {
                BigInteger sum = BigInteger.ZERO;
                for (long v : a.longs()) {
                    sum = sum.add(BigInteger.valueOf(v));
                }
                assertEquals(sum.toString(), r.get("sum").asText(), what);
            } else {
                double sum = 0;
                double abs = 0;
                for (double v : a.doubles()) {
                    sum += v;
                    abs += Math.abs(v);
                }
                // NumPy sums pairwise, this loop sequentially: equal up to rounding
                assertEquals(sum, r.get("sum").asDouble(), abs * 1e-12 + 1e-300, what);
            }
            if (!r.get("values").isNull()) {
                assertEquals(a.elementCount(), r.get("values").size(), what);
                for (int i = 0; i < a.elementCount(); i++) {
                    assertValue(a, i, r.get("values").get(i), what);
                }
            }
            int n = a.elementCount();
            int[] picks = n == 0 ? new int[0] : new int[]{0, n / 2, n - 1};
            for (int k = 0; k < picks.length; k++) {
                assertValue(a, picks[k], r.get("picks").get(k), what);
            }
        }

        JsonNode fromNumpy = lines.get(arrays.size());
        NpyArray cube = Npy.read(tmp.resolve("py_f8_fortran_be.npy"));
        assertTrue(cube.fortranOrder());
        assertArrayEquals(new int[]{5, 6, 7}, cube.shape());
        double[] expected = new double[210];
        for (int i = 0; i < 210; i++) {
            expected[i] = fromNumpy.get("cube").get(i).asDouble();
        }
        assertArrayEquals(expected, cube.doubles(), "NumPy " + fromNumpy.get("numpy").asText() + " Fortran big-endian float64");
        int[] perm = new int[100];
        for (int i = 0; i < 100; i++) {
            perm[i] = fromNumpy.get("idx").get(i).asInt();
        }
        assertArrayEquals(perm, Npy.read(tmp.resolve("py_i4_be.npy")).ints());
    }

    /** Python's float repr round-trips a double exactly, so float32 values (widened) compare exactly too. */
    private static void assertValue(NpyArray a, int flat, JsonNode v, String what) {
        int[] at = a.index(flat);
        if (a.storageType() == NpyType.INT64) {
            assertEquals(a.longs()[flat], v.asLong(), what + " at " + Arrays.toString(at));
        } else {
            double mine = a.get(at);
            assertEquals(Double.doubleToRawLongBits(mine), Double.doubleToRawLongBits(v.asDouble()),
                    what + " at " + Arrays.toString(at) + ": " + mine + " vs " + v);
        }
    }

    private List<JsonNode> run(List<String> command) throws IOException, InterruptedException {
        Path err = tmp.resolve("python.err");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("python3 did not finish in 120 s");
        }
        if (p.exitValue() != 0) {
            fail("python3 exited " + p.exitValue() + ": " + Files.readString(err));
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        assertFalse(lines.isEmpty(), "python3 printed nothing: " + Files.readString(err));
        return lines;
    }
}
