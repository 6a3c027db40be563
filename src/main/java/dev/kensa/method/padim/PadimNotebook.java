package dev.kensa.method.padim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.array.ArrayException;
import dev.kensa.array.Npy;
import dev.kensa.array.NpyArray;
import dev.kensa.array.NpyHeader;
import dev.kensa.backbone.LayerShape;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.method.NotebookArrays;
import dev.kensa.score.GaussianStats;
import dev.kensa.util.JsonFields;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * PaDiM in a notebook's folder ({@link MethodNotebook}):
 * <pre>
 * padim/mean.npy      [P, d]     per-position mean of the kept channels (P = grid positions, row-major)
 * padim/cov.npy       [P, d, d]  per-position covariance (regularised, e.g. + 0.01 I), or instead
 * padim/inv_cov.npy   [P, d, d]  its inverse
 * padim/idx.npy       [d]        the kept channels: indices into the layers' concatenated channels
 * fixed_pipeline.json "padim": {"layers": [...], "channel_subsample": d}, "common": {"seeds": [the subset's seed]}
 * </pre>
 * Import reads the covariances one position at a time (a float64 [3136, 100, 100] array is 250 MB and is never held
 * whole), each factored into the inverse Cholesky factor the bundle stores. Export writes the inverse covariances,
 * float64: Q = W^T W is exactly what the bundle scores with, computed from the stored factor without inverting anything,
 * so a distance by hand is one line ({@code v @ Q @ v}) and an import rebuilds W to float32 rounding.
 */
final class PadimNotebook implements MethodNotebook {
    static final String INV_COV = "inv_cov.npy";
    static final String IDX = "idx.npy";

    /** @param channelSubsample channels kept of the concatenation ({@code channel_subsample}, PaDiM's d) */
    record Section(List<String> layers, Integer channelSubsample) implements MethodNotebook.Section {
        Section {
            layers = layers == null ? null : List.copyOf(layers);
        }

        @Override
        public ObjectNode toJson() {
            return NotebookArrays.section("layers", layers, "channel_subsample", channelSubsample);
        }
    }

    @Override
    public Section section(JsonFields f) {
        f.known("layers", "channel_subsample");
        return new Section(f.strings("layers"), f.positiveInt("channel_subsample"));
    }

    @Override
    public Export export(MethodModel m, Path dir) {
        PadimModel model = (PadimModel) m;
        GaussianStats s = model.stats();
        Npy.write(dir.resolve(NotebookArrays.MEAN), NpyArray.of(s.mean(), s.positions(), s.dims()));
        long[] idx = Arrays.stream(model.channels()).asLongStream().toArray();
        Npy.write(dir.resolve(IDX), NpyArray.of(idx, idx.length));
        NotebookArrays.writePrecisions(dir.resolve(INV_COV), s, s.positions(), s.dims(), s.dims());
        return new Export(List.of(NotebookArrays.MEAN, INV_COV, IDX),
                new Section(model.layers(), model.channels().length), model.seed() == null ? null : List.of(model.seed()));
    }

    @Override
    public Import open(Path dir, MethodNotebook.Section section, String json, Consumer<String> notes) {
        return new PadimArrays(dir, (Section) section, json, notes);
    }

    /** mean, covariance (or inverse) and channel indices, their headers checked against each other. */
    private static final class PadimArrays implements Import {
        final Path meanFile;
        final NotebookArrays.CovarianceFile cov;
        final Path idxFile;
        final int positions;
        final int dims;

        PadimArrays(Path dir, Section section, String json, Consumer<String> notes) {
            meanFile = dir.resolve(NotebookArrays.MEAN);
            NpyHeader mean = NotebookArrays.floatingHeader(meanFile);
            cov = NotebookArrays.CovarianceFile.in(dir, INV_COV, "the per-position covariance [P, d, d] or its inverse", notes);
            Path covFile = cov.file();
            NpyHeader c = NotebookArrays.floatingHeader(covFile);
            List<Integer> ms = mean.shape();
            List<Integer> cs = c.shape();
            boolean meanFlipped = ms.size() == 2 && cs.size() == 3 && cs.get(0).equals(ms.get(0))
                    && cs.get(1).equals(ms.get(0)) && cs.get(2).equals(ms.get(1));
            if (meanFlipped) { // mean (d, P) and cov (d, d, P): the reference PaDiM implementation's layout
                throw new ArrayException(meanFile + ": shapes " + mean.shapeText() + " and " + c.shapeText() + " of "
                        + covFile.getFileName() + " are [d, P] and [d, d, P] (the reference PaDiM layout); Kensa reads"
                        + " [P, d] and [P, d, d]: save mean.T and " + (cov.inverse() ? "inv_cov" : "cov") + ".transpose(2, 0, 1)");
            }
            if (ms.size() != 2) {
                throw new ArrayException(meanFile + ": shape " + mean.shapeText() + ", expected [P, d] (positions, kept channels)");
            }
            positions = ms.get(0);
            dims = ms.get(1);
            if (!cs.equals(List.of(positions, dims, dims))) {
                String hint = cs.equals(List.of(dims, dims, positions))
                        ? " (it is [d, d, P], the reference PaDiM layout: save it transposed with .transpose(2, 0, 1))"
                        : cs.size() == 3 && cs.get(1).equals(cs.get(2)) && cs.get(0).equals(dims) && cs.get(1).equals(positions)
                        ? " (mean.npy looks transposed: save mean.T)" : "";
                throw new ArrayException(covFile + ": shape " + c.shapeText() + ", expected (" + positions + ", " + dims
                        + ", " + dims + ") to match " + NotebookArrays.MEAN + " " + mean.shapeText() + hint);
            }
            idxFile = dir.resolve(IDX);
            if (Files.exists(idxFile)) {
                NpyHeader idx = Npy.readHeader(idxFile);
                if (!idx.shape().equals(List.of(dims))) {
                    throw new ArrayException(idxFile + ": shape " + idx.shapeText() + ", expected (" + dims + ",): one channel"
                            + " index per column of " + NotebookArrays.MEAN + " " + mean.shapeText());
                }
            }
            Integer subsample = section != null ? section.channelSubsample() : null;
            if (subsample != null && subsample != dims) {
                throw new ArrayException(json + ": padim.channel_subsample is " + subsample + " but " + meanFile
                        + " keeps d=" + dims + " channels " + mean.shapeText());
            }
        }

        @Override
        public List<Path> files() {
            return Files.exists(idxFile) ? List.of(meanFile, cov.file(), idxFile) : List.of(meanFile, cov.file());
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            LayerShape first = shapes.get(0);
            Grid grid = new Grid(first.height(), first.width());
            String layerText = String.join("+", layers);
            if (positions != grid.positions()) {
                throw new ArrayException(meanFile + ": " + positions + " positions but the backbone's " + layerText
                        + " give a " + grid + " grid (" + grid.positions() + " positions, row-major)");
            }
            for (LayerShape l : shapes) {
                if (grid.height() % l.height() != 0 || grid.width() % l.width() != 0) {
                    throw new ArrayException("layers " + layerText + ": " + l.name() + " (" + l.height() + "x" + l.width()
                            + ") does not divide the first layer's grid " + grid + " (name the largest layer first)");
                }
            }
            int source = LayerShape.totalChannels(shapes);
            int[] idx;
            if (Files.exists(idxFile)) {
                idx = Npy.read(idxFile).ints();
            } else if (dims == source) {
                idx = new int[dims];
                for (int i = 0; i < dims; i++) {
                    idx[i] = i;
                }
            } else {
                throw new ArrayException(idxFile + ": missing, and " + meanFile + " keeps d=" + dims + " of the " + source
                        + " channels of " + layerText + ": which ones is what idx.npy says");
            }
            int[] order = sortedOrder(idx, source, layerText);
            int[] channels = new int[dims];
            for (int t = 0; t < dims; t++) {
                channels[t] = idx[order[t]];
            }
            boolean permuted = false;
            for (int t = 0; t < dims; t++) {
                permuted |= order[t] != t;
            }
            if (permuted) {
                notes.accept(idxFile + ": not ascending; sorted, with the mean and covariance dimensions reordered alike"
                        + " (distances do not change)");
            }

            float[] m = Npy.read(meanFile).requireFinite().floats();
            float[] mean = new float[positions * dims];
            for (int p = 0; p < positions; p++) {
                for (int t = 0; t < dims; t++) {
                    mean[p * dims + t] = m[p * dims + order[t]];
                }
            }
            m = null;
            int packed = GaussianStats.packedSize(dims);
            float[] factor;
            try {
                factor = new float[Math.multiplyExact(positions, packed)];
            } catch (OutOfMemoryError | ArithmeticException e) {
                throw new ArrayException(cov.file() + ": the factors of " + positions + " positions of d=" + dims
                        + " need " + 4L * positions * packed / (1 << 20) + " MiB of Java heap, more than is free (raise -Xmx)");
            }
            NotebookArrays.Gaussian g = new NotebookArrays.Gaussian(cov, dims, order);
            NpyHeader read = Npy.forEachSlice(cov.file(), (p, slice) -> g.factor(p, slice, grid, factor, p * packed));
            if (read.shape().get(0) != positions) {
                throw new ArrayException(cov.file() + ": changed while being read");
            }
            GaussianStats stats = GaussianStats.ofFloat32(grid.height(), grid.width(), dims, mean, factor);
            return new PadimModel(layers, source, channels, null, float16 ? stats.toFloat16() : stats, null);
        }

        /** The order that sorts idx ascending; refuses an index out of range or given twice. */
        private int[] sortedOrder(int[] idx, int source, String layerText) {
            Integer[] order = new Integer[idx.length];
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] < 0 || idx[i] >= source) {
                    throw new ArrayException(idxFile + ": idx[" + i + "] = " + idx[i] + " is outside 0.." + (source - 1)
                            + " (" + layerText + " give " + source + " channels)");
                }
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Integer.compare(idx[a], idx[b]));
            for (int t = 1; t < order.length; t++) {
                if (idx[order[t]] == idx[order[t - 1]]) {
                    int a = Math.min(order[t], order[t - 1]);
                    int b = Math.max(order[t], order[t - 1]);
                    throw new ArrayException(idxFile + ": channel " + idx[a] + " is kept twice (idx[" + a + "] and idx["
                            + b + "])");
                }
            }
            return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
        }
    }
}
