package dev.kensa.method.patchcore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kensa.method.BundleFiles;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.FitContext;
import dev.kensa.method.Grid;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;

import java.util.List;

/**
 * PatchCore (Roth et al., "Towards Total Recall in Industrial Anomaly Detection", 2022): a memory bank of locally
 * aware patch features of the good images, reduced by greedy k-center coreset selection; a patch's anomaly score is
 * the distance to its nearest bank patch, the image's the largest one, reweighted by the density of the bank around
 * its neighbour. Bundle: {@code memory_bank.bin} and the manifest's {@code model} section:
 * <pre>
 * "model": {"memoryBank": {"file", "dtype", "rows", "dims"}, "grid": [h, w], "pooling": 3, "neighbours": 9,
 *           "coresetRatio", "projectionDims", "seed", "trainingPatches"}
 * </pre>
 */
public final class PatchCoreMethod implements DetectionMethod {
    public static final String NAME = "patchcore";
    static final PatchCoreMethod INSTANCE = new PatchCoreMethod();
    private static final PatchCoreNotebook NOTEBOOK = new PatchCoreNotebook();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "PatchCore: coreset memory bank of patch features, nearest-neighbour distance";
    }

    @Override
    public List<String> defaultLayers() {
        return List.of("layer2", "layer3");
    }

    @Override
    public List<HeldOutPlan.Mode> heldOutModes() {
        return List.of(HeldOutPlan.Mode.LOO, HeldOutPlan.Mode.KFOLD);
    }

    @Override
    public MethodFitter fitter(FitContext context) {
        return new PatchCoreFitter(context);
    }

    @Override
    public MethodNotebook notebook() {
        return NOTEBOOK;
    }

    @Override
    public MethodModel read(BundleFiles b) {
        JsonNode m = b.section("model");
        b.require(m.isObject(), "manifest model section is missing (a patchcore bundle keeps its memory bank there)");
        JsonNode file = m.path("memoryBank");
        String name = file.path("file").isTextual() ? file.path("file").asText() : null;
        String dtype = file.path("dtype").asText(null);
        b.require("float32".equals(dtype) || "float16".equals(dtype),
                "manifest model.memoryBank.dtype is " + file.path("dtype") + ", expected \"float32\" or \"float16\"");
        int rows = positiveInt(b, file, "rows", "model.memoryBank.rows");
        int dims = positiveInt(b, file, "dims", "model.memoryBank.dims");
        JsonNode grid = m.path("grid");
        b.require(grid.isArray() && grid.size() == 2 && grid.get(0).canConvertToInt() && grid.get(1).canConvertToInt()
                && grid.get(0).asInt() > 0 && grid.get(1).asInt() > 0, "manifest model.grid must be [height, width], both positive");
        int pool = positiveInt(b, m, "pooling", "model.pooling");
        b.require(pool % 2 == 1, "manifest model.pooling is " + pool + ", must be odd");
        int neighbours = positiveInt(b, m, "neighbours", "model.neighbours");
        var path = b.listed(name, "model.memoryBank.file");
        MemoryBank.Header h = MemoryBank.readHeader(path, name);
        b.require(h.rows() == rows && h.dims() == dims && h.float16() == "float16".equals(dtype), name + ": header says "
                + h.rows() + " x " + h.dims() + (h.float16() ? " float16" : " float32") + " but the manifest says " + rows
                + " x " + dims + " " + dtype);
        MemoryBank bank = MemoryBank.read(path, name);
        return new PatchCoreModel(b.layers(), new Grid(grid.get(0).asInt(), grid.get(1).asInt()), pool,
                neighbours, bank, m.path("coresetRatio").asDouble(Double.NaN), m.path("projectionDims").asInt(0),
                m.path("seed").asLong(0), m.path("trainingPatches").asLong(0));
    }

    private static int positiveInt(BundleFiles b, JsonNode node, String field, String label) {
        JsonNode v = node.path(field);
        b.require(v.canConvertToInt() && v.asInt() > 0, "manifest " + label + " is " + (v.isMissingNode() ? "missing" : v.toString())
                + ", must be a positive integer");
        return v.asInt();
    }
}
