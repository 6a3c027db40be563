package dev.kensa.method.gaussian;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.array.ArrayException;
import dev.kensa.array.Npy;
import dev.kensa.array.NpyArray;
import dev.kensa.array.NpyHeader;
import dev.kensa.backbone.LayerShape;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.method.NotebookArrays;
import dev.kensa.score.GaussianStats;
import dev.kensa.util.JsonFields;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The global Mahalanobis model in a notebook's folder ({@link MethodNotebook}):
 * <pre>
 * mahalanobis/mean.npy        [D]     mean of the globally average-pooled features
 * mahalanobis/cov.npy         [D, D]  their covariance, or instead
 * mahalanobis/precision.npy   [D, D]  its inverse
 * fixed_pipeline.json "mahalanobis": {"backbone": "resnet18", "cov_estimator": "ledoit_wolf", "layers": [...]}
 * </pre>
 * ({@code layers} is Kensa's addition: the layers whose pooled features are concatenated.) Export writes the inverse
 * covariance as float64, computed from the stored factor without an inversion, as PaDiM's export does.
 */
final class GlobalMahalanobisNotebook implements MethodNotebook {
    static final String PRECISION = "precision.npy";

    /**
     * @param backbone     feature extractor name, e.g. resnet18
     * @param covEstimator covariance estimator ({@code cov_estimator}), e.g. ledoit_wolf
     * @param layers       backbone layers whose globally averaged features are concatenated (Kensa's addition)
     */
    record Section(String backbone, String covEstimator, List<String> layers) implements MethodNotebook.Section {
        Section {
            layers = layers == null ? null : List.copyOf(layers);
        }

        @Override
        public ObjectNode toJson() {
            return NotebookArrays.section("backbone", backbone, "cov_estimator", covEstimator, "layers", layers);
        }
    }

    @Override
    public Section section(JsonFields f) {
        f.known("backbone", "cov_estimator", "layers");
        return new Section(f.string("backbone"), f.string("cov_estimator"), f.strings("layers"));
    }

    @Override
    public Export export(MethodModel m, Path dir) {
        GlobalMahalanobisModel model = (GlobalMahalanobisModel) m;
        GaussianStats s = model.stats();
        Npy.write(dir.resolve(NotebookArrays.MEAN), NpyArray.of(s.mean(), s.dims()));
        NotebookArrays.writePrecisions(dir.resolve(PRECISION), s, s.dims(), s.dims());
        return new Export(List.of(NotebookArrays.MEAN, PRECISION),
                new Section(null, model.covariance().replace('-', '_'), model.layers()), null);
    }

    @Override
    public Import open(Path dir, MethodNotebook.Section section, String json, Consumer<String> notes) {
        return new MahalanobisArrays(dir, (Section) section, notes);
    }

    private static final class MahalanobisArrays implements Import {
        final Path meanFile;
        final NotebookArrays.CovarianceFile cov;
        final int dims;
        final String covariance;

        MahalanobisArrays(Path dir, Section section, Consumer<String> notes) {
            meanFile = dir.resolve(NotebookArrays.MEAN);
            NpyHeader mean = NotebookArrays.floatingHeader(meanFile);
            if (mean.shape().size() != 1) {
                throw new ArrayException(meanFile + ": shape " + mean.shapeText() + ", expected [D] (one mean per pooled channel)");
            }
            dims = mean.shape().get(0);
            cov = NotebookArrays.CovarianceFile.in(dir, PRECISION, "the covariance [D, D] or its inverse", notes);
            NpyHeader c = NotebookArrays.floatingHeader(cov.file());
            if (!c.shape().equals(List.of(dims, dims))) {
                throw new ArrayException(cov.file() + ": shape " + c.shapeText() + ", expected (" + dims + ", " + dims
                        + ") to match " + NotebookArrays.MEAN + " " + mean.shapeText());
            }
            String estimator = section != null ? section.covEstimator() : null;
            covariance = estimator == null ? "imported" : estimator.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @Override
        public List<Path> files() {
            return List.of(meanFile, cov.file());
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            int total = LayerShape.totalChannels(shapes);
            if (dims != total) {
                throw new ArrayException(meanFile + ": D=" + dims + " but the backbone's " + String.join("+", layers)
                        + " give " + total + " channels when pooled");
            }
            float[] mean = Npy.read(meanFile).requireFinite().floats();
            int[] order = new int[dims];
            for (int i = 0; i < dims; i++) {
                order[i] = i;
            }
            float[] factor = new float[GaussianStats.packedSize(dims)];
            NotebookArrays.Gaussian g = new NotebookArrays.Gaussian(cov, dims, order);
            Npy.forEachSlice(cov.file(), new Npy.SliceConsumer() {
                final double[] whole = new double[dims * dims];

                @Override
                public void accept(int row, double[] values) {
                    System.arraycopy(values, 0, whole, row * dims, dims);
                    if (row == dims - 1) {
                        g.factor(0, whole, null, factor, 0);
                    }
                }
            });
            // kept float32 whatever --float16 says: one position of D values is no memory to save
            return new GlobalMahalanobisModel(layers, GaussianStats.ofFloat32(1, 1, dims, mean, factor), Double.NaN, covariance);
        }
    }
}
