package dev.kensa.method.patchcore;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.KensaException;
import dev.kensa.backbone.LayerShape;
import dev.kensa.embedding.LocalPatchFeatures;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodManifest;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodScorer;

import java.nio.file.Path;
import java.util.List;

/**
 * A fitted PatchCore model: the memory bank (coreset of the training images' locally aware patch features) and how
 * to score against it.
 *
 * @param pool           side of the local average pooling of the patch features
 * @param neighbours     support neighbours b of the image-score reweighting
 * @param coresetRatio   share of the training patches kept (for the record)
 * @param projectionDims dimensions of the random projection the coreset was selected on (for the record)
 * @param trainingPatches patches of all training images before the coreset (for the record)
 */
public record PatchCoreModel(List<String> layers, Grid grid, int pool, int neighbours, MemoryBank bank, double coresetRatio,
                             int projectionDims, long seed, long trainingPatches) implements MethodModel {
    public static final String BANK_FILE = "memory_bank.bin";

    public PatchCoreModel {
        layers = List.copyOf(layers);
    }

    @Override
    public DetectionMethod method() {
        return PatchCoreMethod.INSTANCE;
    }

    @Override
    public void checkLayers(List<LayerShape> shapes) {
        LayerShape first = shapes.get(0);
        if (first.height() != grid.height() || first.width() != grid.width()) {
            throw new KensaException("bundle memory bank is for a " + grid + " grid but the backbone gives "
                    + first.height() + "x" + first.width());
        }
        int total = LayerShape.totalChannels(shapes);
        if (total != bank.dims()) {
            throw new KensaException("bundle memory bank has " + bank.dims() + " dims but the backbone's layers "
                    + shapes.stream().map(LayerShape::name).toList() + " give " + total + " channels");
        }
    }

    @Override
    public MethodScorer scorer(ScorerSpec spec) {
        if (spec.gpu()) {
            return new PatchCoreCudaScorer(this, spec.maxBatch(), spec.threads());
        }
        return cpuScorer(spec.threads(), false);
    }

    PatchCoreScorer cpuScorer(int threads, boolean scalar) {
        return new PatchCoreScorer(this, features(), scalar, threads);
    }

    /** The patch features the bank holds: pooled, on the grid, bank.dims() channels. */
    LocalPatchFeatures features() {
        return new LocalPatchFeatures(grid.height(), grid.width(), bank.dims(), pool);
    }

    @Override
    public List<BenchVariant> benchVariants(int threads) {
        return List.of(new BenchVariant("scalar", cpuScorer(threads, true)));
    }

    @Override
    public MethodManifest write(Path dir) {
        bank.write(dir.resolve(BANK_FILE));
        ObjectNode model = JsonNodeFactory.instance.objectNode();
        ObjectNode file = model.putObject("memoryBank");
        file.put("file", BANK_FILE);
        file.put("dtype", bank.dtypeName());
        file.put("rows", bank.rows());
        file.put("dims", bank.dims());
        model.putArray("grid").add(grid.height()).add(grid.width());
        model.put("pooling", pool);
        model.put("neighbours", neighbours);
        model.put("coresetRatio", coresetRatio);
        model.put("projectionDims", projectionDims);
        model.put("seed", seed);
        model.put("trainingPatches", trainingPatches);
        return new MethodManifest(List.of(BANK_FILE), java.util.Map.of("model", model), null);
    }

    @Override
    public String describe() {
        return String.format("patchcore: %s %s, memory bank %d x %d %s (%.1f MB, %.2f %% of %d patches), b=%d",
                String.join("+", layers), grid, bank.rows(), bank.dims(), bank.dtypeName(), bank.storedBytes() / 1e6,
                100.0 * bank.rows() / Math.max(1, trainingPatches), trainingPatches, neighbours);
    }

    @Override
    public long memoryBytes() {
        return 4L * bank.values().length;
    }

    @Override
    public long memoryBytesFloat16() {
        return 2L * bank.values().length;
    }
}
