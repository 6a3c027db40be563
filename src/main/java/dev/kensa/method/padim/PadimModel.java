package dev.kensa.method.padim;

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
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fitted PaDiM model: the kept channels of the concatenated layers and, per patch position, the mean and the
 * packed inverse-Cholesky factor of the covariance ({@link GaussianStats}, stored as {@code stats.bin}).
 *
 * @param sourceChannels channels of the full concatenated embedding the kept channels index into
 * @param seed           seed the channel subset was drawn with, or null (imported)
 */
public record PadimModel(List<String> layers, int sourceChannels, int[] channels, Long seed, GaussianStats stats,
                         Double eps) implements MethodModel {
    public static final String STATS_FILE = "stats.bin";

    public PadimModel {
        layers = List.copyOf(layers);
        if (channels.length != stats.dims()) {
            throw new IllegalArgumentException("model keeps " + channels.length + " channels but its statistics have d=" + stats.dims());
        }
    }

    @Override
    public DetectionMethod method() {
        return PadimMethod.INSTANCE;
    }

    @Override
    public Grid grid() {
        return new Grid(stats.gridHeight(), stats.gridWidth());
    }

    @Override
    public void checkLayers(List<LayerShape> shapes) {
        LayerShape first = shapes.get(0);
        if (first.height() != stats.gridHeight() || first.width() != stats.gridWidth()) {
            throw new KensaException("bundle statistics are for a " + stats.gridHeight() + "x" + stats.gridWidth()
                    + " grid but the backbone gives " + first.height() + "x" + first.width());
        }
        int total = LayerShape.totalChannels(shapes);
        if (total != sourceChannels) {
            throw new KensaException("bundle embedding has " + sourceChannels + " source channels but the backbone's "
                    + shapes.size() + " layers give " + total);
        }
        for (LayerShape l : shapes) {
            if (first.height() % l.height() != 0 || first.width() % l.width() != 0) {
                throw new KensaException("layer " + l.name() + " (" + l.height() + "x" + l.width()
                        + ") does not divide the embedding grid " + first.height() + "x" + first.width());
            }
        }
    }

    @Override
    public MethodScorer scorer(ScorerSpec spec) {
        if (spec.gpu()) {
            return new PadimCudaScorer(stats, channels, spec.maxBatch(), PadimCudaScorer.loadKernelImage());
        }
        return new PadimScorer(channels, MahalanobisScorers.cpu(stats, spec.threads()), stats.positions());
    }

    @Override
    public List<BenchVariant> benchVariants(int threads) {
        return List.of(
                new BenchVariant("scalar", new PadimScorer(channels, MahalanobisScorers.scalar(stats, threads), stats.positions())),
                new BenchVariant("f16", new PadimScorer(channels, MahalanobisScorers.cpu(stats.toFloat16(), threads), stats.positions())));
    }

    @Override
    public MethodManifest write(Path dir) {
        StatsFile.write(dir.resolve(STATS_FILE), stats);
        Map<String, ObjectNode> sections = new LinkedHashMap<>();
        sections.put("embedding", PadimSections.toJson(new PadimSections.Embedding(
                new int[]{stats.gridHeight(), stats.gridWidth()}, sourceChannels, channels.clone(), seed)));
        sections.put("stats", PadimSections.toJson(new PadimSections.Stats(STATS_FILE, StatsFile.dtypeName(stats.dtype()),
                stats.dims(), stats.positions())));
        return new MethodManifest(List.of(STATS_FILE), sections, eps);
    }

    @Override
    public String describe() {
        return String.format("padim: %s %s, d=%d of %d channels, %s statistics (%.1f MB)", String.join("+", layers),
                grid(), stats.dims(), sourceChannels, StatsFile.dtypeName(stats.dtype()), stats.memoryBytes() / 1e6);
    }

    @Override
    public long memoryBytes() {
        return stats.memoryBytes();
    }

    @Override
    public long memoryBytesFloat32() {
        return stats.dtype() == GaussianStats.Dtype.FLOAT32 ? stats.memoryBytes() : stats.memoryBytes() + 2L * stats.factor16().length;
    }

    @Override
    public long memoryBytesFloat16() {
        return stats.toFloat16().memoryBytes();
    }
}
