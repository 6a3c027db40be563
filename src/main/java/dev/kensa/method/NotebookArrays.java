package dev.kensa.method;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.array.ArrayException;
import dev.kensa.array.Npy;
import dev.kensa.array.NpyHeader;
import dev.kensa.array.NpyType;
import dev.kensa.array.NpyWriter;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisFactor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the methods' notebook arrays share ({@link MethodNotebook}): the file names both Gaussian methods use, the
 * floating-point header check, the choice between a covariance and its inverse, and the conversion of one Gaussian
 * into the factor a bundle stores ({@link MahalanobisFactor}) with the checks a hand-made array needs.
 */
public final class NotebookArrays {
    public static final String MEAN = "mean.npy";
    public static final String COV = "cov.npy";
    /**
     * Largest asymmetry |S_ij - S_ji| accepted in a covariance, relative to sqrt(S_ii S_jj): float32 sums in another
     * order differ by ~1e-7; an array saved with its axes mixed up differs by far more.
     */
    static final double SYMMETRY_TOLERANCE = 1e-4;

    private NotebookArrays() {
    }

    /**
     * A method's fixed-pipeline section from key, value pairs in order, a null value left out (a list becomes a list
     * of its strings). The tree is built by hand: no reflection (native image).
     */
    public static ObjectNode section(Object... keysAndValues) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String key = (String) keysAndValues[i];
            Object v = keysAndValues[i + 1];
            if (v instanceof List<?> list) {
                ArrayNode a = s.putArray(key);
                list.forEach(e -> a.add(String.valueOf(e)));
            } else if (v instanceof Integer n) {
                s.put(key, n);
            } else if (v instanceof Double d) {
                s.put(key, d);
            } else if (v != null) {
                s.put(key, v.toString());
            }
        }
        return s;
    }

    /** A floating-point array's header; an integer array where statistics belong is refused by name. */
    public static NpyHeader floatingHeader(Path file) {
        NpyHeader h = Npy.readHeader(file);
        if (!h.type().isFloating()) {
            throw new ArrayException(file + ": dtype " + h.type().numpyName() + ", expected float32 or float64");
        }
        return h;
    }

    /** The covariance file a notebook saved: cov.npy when present (an inverse beside it is noted and ignored), else its inverse. */
    public record CovarianceFile(Path file, boolean inverse) {
        public static CovarianceFile in(Path dir, String inverseName, String what, Consumer<String> notes) {
            Path cov = dir.resolve(COV);
            Path inv = dir.resolve(inverseName);
            if (Files.exists(cov)) {
                if (Files.exists(inv)) {
                    notes.accept(inv + ": ignored, " + COV + " beside it is used");
                }
                return new CovarianceFile(cov, false);
            }
            if (Files.exists(inv)) {
                return new CovarianceFile(inv, true);
            }
            throw new ArrayException(dir + ": neither " + COV + " nor " + inverseName + " (" + what + ")");
        }
    }

    /**
     * Writes Q_p = W_p^T W_p of every position of {@code s} as float64 {@code shape} (the inverse covariances a
     * notebook can use as they are), one position at a time: a production PaDiM's 250 MB are never in memory.
     */
    public static void writePrecisions(Path file, GaussianStats s, int... shape) {
        NpyWriter w = NpyWriter.create(file, NpyType.FLOAT64, shape);
        try {
            double[] q = new double[s.dims() * s.dims()];
            for (int p = 0; p < s.positions(); p++) {
                MahalanobisFactor.precision(s, p, q);
                w.write(q);
            }
        } catch (RuntimeException e) {
            w.abort();
            throw e;
        }
        w.close();
    }

    /** Turns one position's covariance or inverse covariance, as the notebook saved it, into the stored factor. */
    public static final class Gaussian {
        final Path file;
        final int d;
        final int[] order;
        final boolean inverse;
        final double[] packed;
        final double[] q;
        final double[] work;

        /** @param order the notebook's dimension of each stored dimension (identity unless channels were sorted) */
        public Gaussian(CovarianceFile cov, int d, int[] order) {
            this.file = cov.file();
            this.d = d;
            this.order = order;
            this.inverse = cov.inverse();
            this.packed = new double[GaussianStats.packedSize(d)];
            this.q = inverse ? new double[d * d] : null;
            this.work = inverse ? new double[GaussianStats.packedSize(d)] : null;
        }

        /**
         * @param s     position {@code p}'s d x d matrix, row-major
         * @param grid  null for a single Gaussian (then positions are not named)
         */
        public void factor(int p, double[] s, Grid grid, float[] factor, int offset) {
            String at = grid == null ? "" : p + ", ";
            for (int i = 0; i < d * d; i++) {
                if (!Double.isFinite(s[i])) {
                    throw new ArrayException(file + ": " + (Double.isNaN(s[i]) ? "NaN" : s[i] > 0 ? "+inf" : "-inf")
                            + " at [" + at + i / d + ", " + i % d + "]");
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    double a = s[i * d + j];
                    double b = s[j * d + i];
                    if (Math.abs(a - b) > SYMMETRY_TOLERANCE * Math.sqrt(Math.abs(s[i * d + i] * s[j * d + j]))) {
                        throw new ArrayException(file + ": " + what() + where(p, grid) + " is not symmetric: [" + at + i + ", "
                                + j + "] = " + a + " but [" + at + j + ", " + i + "] = " + b);
                    }
                }
            }
            boolean ok;
            if (inverse) {
                for (int t = 0; t < d; t++) {
                    int rt = order[t] * d;
                    for (int u = 0; u < d; u++) {
                        q[t * d + u] = 0.5 * (s[rt + order[u]] + s[order[u] * d + order[t]]);
                    }
                }
                ok = MahalanobisFactor.fromPrecision(q, d, work, packed);
            } else {
                for (int t = 0, row = 0; t < d; row += ++t) {
                    int rt = order[t] * d;
                    for (int u = 0; u <= t; u++) {
                        packed[row + u] = 0.5 * (s[rt + order[u]] + s[order[u] * d + order[t]]);
                    }
                }
                ok = MahalanobisFactor.fromCovariance(packed, d);
            }
            if (!ok) {
                throw new ArrayException(file + ": " + what() + where(p, grid) + " is not positive definite"
                        + (inverse || grid == null ? "" : " (PaDiM adds eps * I to each covariance, e.g. 0.01)"));
            }
            for (int i = 0; i < packed.length; i++) {
                float w = (float) packed[i];
                if (!Float.isFinite(w)) {
                    throw new ArrayException(file + ": " + what() + where(p, grid)
                            + " is too close to singular: its inverse factor overflows float32");
                }
                factor[offset + i] = w;
            }
        }

        private String what() {
            return inverse ? "the inverse covariance" : "the covariance";
        }

        private static String where(int p, Grid grid) {
            return grid == null ? "" : " of position " + p + " (grid row " + p / grid.width() + ", column " + p % grid.width()
                    + " of " + grid + ")";
        }
    }
}
