package dev.kensa.method.gaussian;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.KensaException;
import dev.kensa.backbone.LayerShape;
import dev.kensa.array.StatsFile;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodManifest;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodScorer;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.MahalanobisScorers;

import java.nio.file.Path;
import java.util.List;

/**
 * A fitted global Mahalanobis model: the mean and the inverse Cholesky factor of the Ledoit-Wolf covariance of the
 * images' globally average-pooled features, held as a {@link GaussianStats} of one position (stored in the same
 * format as PaDiM's statistics, {@code gaussian.bin}).
 *
 * @param shrinkage  the Ledoit-Wolf shrinkage the fit chose (for the record; NaN when not known, e.g. imported)
 * @param covariance how the covariance was estimated (for the record): "ledoit-wolf" for Kensa's fit, the
 *                   notebook's estimator for an imported model
 */
public record GlobalMahalanobisModel(List<String> layers, GaussianStats stats, double shrinkage, String covariance)
        implements MethodModel {
    public static final String STATS_FILE = "gaussian.bin";
    public static final String LEDOIT_WOLF = "ledoit-wolf";

    public GlobalMahalanobisModel {
        layers = List.copyOf(layers);
        if (stats.positions() != 1) {
            throw new IllegalArgumentException("a global model has one position, not " + stats.positions());
        }
    }

    /** A model of Kensa's own fit: Ledoit-Wolf covariance. */
    public GlobalMahalanobisModel(List<String> layers, GaussianStats stats, double shrinkage) {
        this(layers, stats, shrinkage, LEDOIT_WOLF);
    }

    @Override
    public DetectionMethod method() {
        return GlobalMahalanobisMethod.INSTANCE;
    }

    /** None: the method scores whole images. */
    @Override
    public Grid grid() {
        return null;
    }

    @Override
    public void checkLayers(List<LayerShape> shapes) {
        int total = LayerShape.totalChannels(shapes);
        if (total != stats.dims()) {
            throw new KensaException("bundle statistics have " + stats.dims() + " dims but the backbone's layers "
                    + shapes.stream().map(LayerShape::name).toList() + " give " + total + " channels");
        }
    }

    /** The same Java scorer on every backend: one 448-dim vector per image is no work for a GPU. */
    @Override
    public MethodScorer scorer(ScorerSpec spec) {
        return new GlobalMahalanobisScorer(stats, MahalanobisScorers.cpu(stats, spec.threads()));
    }

    @Override
    public MethodManifest write(Path dir) {
        StatsFile.write(dir.resolve(STATS_FILE), stats);
        ObjectNode model = JsonNodeFactory.instance.objectNode();
        ObjectNode file = model.putObject("stats");
        file.put("file", STATS_FILE);
        file.put("dtype", StatsFile.dtypeName(stats.dtype()));
        file.put("dims", stats.dims());
        model.put("pooling", "global-average");
        model.put("covariance", covariance);
        if (Double.isFinite(shrinkage)) {
            model.put("shrinkage", shrinkage);
        }
        return new MethodManifest(List.of(STATS_FILE), java.util.Map.of("model", model), null);
    }

    @Override
    public String describe() {
        return String.format("mahalanobis: %s global average, %d dims, %s", String.join("+", layers), stats.dims(),
                Double.isFinite(shrinkage) ? String.format("%s shrinkage %.3f", covariance, shrinkage) : covariance + " covariance");
    }

    @Override
    public long memoryBytes() {
        return stats.memoryBytes();
    }
}
