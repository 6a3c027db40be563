package dev.kensa.method.patchcore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.array.ArrayException;
import dev.kensa.array.Npy;
import dev.kensa.array.NpyArray;
import dev.kensa.array.NpyHeader;
import dev.kensa.backbone.LayerShape;
import dev.kensa.method.Grid;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.method.MethodOptions;
import dev.kensa.method.NotebookArrays;
import dev.kensa.util.JsonFields;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * PatchCore in a notebook's folder ({@link MethodNotebook}), in anomalib's names:
 * <pre>
 * patchcore/memory_bank.npy   [N, D]  the memory bank of locally aware patch features
 * fixed_pipeline.json "patchcore": {"layers": [...], "pooling": 3, "neighbours": 9, "coreset_ratio": 0.01}
 * </pre>
 */
final class PatchCoreNotebook implements MethodNotebook {
    static final String MEMORY_BANK = "memory_bank.npy";
    /** PatchCore's local pooling when the notebook does not say: kensa fit's and anomalib's. */
    static final int DEFAULT_POOLING = 3;

    /**
     * @param pooling      side of the local average pooling (odd)
     * @param neighbours   support neighbours b of the image-score reweighting ({@code num_neighbors} in anomalib)
     * @param coresetRatio share of the training patches the memory bank kept ({@code coreset_sampling_ratio})
     */
    record Section(List<String> layers, Integer pooling, Integer neighbours, Double coresetRatio)
            implements MethodNotebook.Section {
        Section {
            layers = layers == null ? null : List.copyOf(layers);
        }

        @Override
        public ObjectNode toJson() {
            return NotebookArrays.section("layers", layers, "pooling", pooling, "neighbours", neighbours,
                    "coreset_ratio", coresetRatio);
        }
    }

    @Override
    public Section section(JsonFields f) {
        f.known("layers", "pooling", "neighbours", "coreset_ratio");
        return new Section(f.strings("layers"), f.oddPositiveInt("pooling"), f.positiveInt("neighbours"),
                f.share("coreset_ratio"));
    }

    @Override
    public Export export(MethodModel m, Path dir) {
        PatchCoreModel model = (PatchCoreModel) m;
        MemoryBank bank = model.bank();
        Npy.write(dir.resolve(MEMORY_BANK), NpyArray.of(bank.values(), bank.rows(), bank.dims()));
        double ratio = model.coresetRatio();
        return new Export(List.of(MEMORY_BANK), new Section(model.layers(), model.pool(), model.neighbours(),
                ratio > 0 && ratio <= 1 ? ratio : null), null);
    }

    @Override
    public Import open(Path dir, MethodNotebook.Section section, String json, Consumer<String> notes) {
        return new BankArray(dir, (Section) section);
    }

    private static final class BankArray implements Import {
        final Path bankFile;
        final int rows;
        final int dims;
        final int pooling;
        final int neighbours;
        final double coresetRatio;

        BankArray(Path dir, Section p) {
            bankFile = dir.resolve(MEMORY_BANK);
            NpyHeader h = NotebookArrays.floatingHeader(bankFile);
            if (h.shape().size() != 2 || h.shape().get(0) == 0 || h.shape().get(1) == 0) {
                throw new ArrayException(bankFile + ": shape " + h.shapeText() + ", expected [N, D] (N patch features, N > 0)");
            }
            rows = h.shape().get(0);
            dims = h.shape().get(1);
            pooling = p != null && p.pooling() != null ? p.pooling() : DEFAULT_POOLING;
            neighbours = p != null && p.neighbours() != null ? p.neighbours() : MethodOptions.defaults().neighbours();
            coresetRatio = p != null && p.coresetRatio() != null ? p.coresetRatio() : 1.0;
        }

        @Override
        public List<Path> files() {
            return List.of(bankFile);
        }

        @Override
        public MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes) {
            int total = LayerShape.totalChannels(shapes);
            if (dims != total) {
                throw new ArrayException(bankFile + ": D=" + dims + " but the backbone's " + String.join("+", layers)
                        + " give " + total + " channels");
            }
            LayerShape first = shapes.get(0);
            MemoryBank bank = new MemoryBank(Npy.read(bankFile).requireFinite().floats(), rows, dims, false);
            return new PatchCoreModel(layers, new Grid(first.height(), first.width()), pooling, neighbours,
                    float16 ? bank.toFloat16() : bank, coresetRatio, 0, 0, Math.round(rows / coresetRatio));
        }
    }
}
