package dev.kensa.method.gaussian;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kensa.array.StatsFile;
import dev.kensa.method.BundleFiles;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.score.GaussianStats;

import java.util.List;

/**
 * Global Mahalanobis (Rippel et al., "Modeling the Distribution of Normal Data in Pre-Trained Deep Features for
 * Anomaly Detection", 2020): the backbone's layers globally average-pooled into one vector per image, a Gaussian of
 * those with a Ledoit-Wolf shrunk covariance, and the image score is the Mahalanobis distance. It has no anomaly map:
 * results carry no regions and the heatmap says so. Bundle: {@code gaussian.bin} (the {@code stats.bin} format, one
 * position) and the manifest's {@code model} section:
 * <pre>
 * "model": {"stats": {"file", "dtype", "dims"}, "pooling": "global-average", "covariance": "ledoit-wolf", "shrinkage"}
 * </pre>
 */
public final class GlobalMahalanobisMethod implements DetectionMethod {
    public static final String NAME = "mahalanobis";
    static final GlobalMahalanobisMethod INSTANCE = new GlobalMahalanobisMethod();
    private static final GlobalMahalanobisNotebook NOTEBOOK = new GlobalMahalanobisNotebook();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "global Mahalanobis: Gaussian of globally pooled features, Ledoit-Wolf covariance, image score only";
    }

    @Override
    public List<String> defaultLayers() {
        return List.of("layer1", "layer2", "layer3");
    }

    @Override
    public List<HeldOutPlan.Mode> heldOutModes() {
        return List.of(HeldOutPlan.Mode.LOO, HeldOutPlan.Mode.KFOLD);
    }

    @Override
    public MethodFitter fitter(FitContext context) {
        return new GlobalMahalanobisFitter(context);
    }

    @Override
    public MethodNotebook notebook() {
        return NOTEBOOK;
    }

    @Override
    public MethodModel read(BundleFiles b) {
        JsonNode m = b.section("model");
        b.require(m.isObject(), "manifest model section is missing (a mahalanobis bundle keeps its statistics there)");
        JsonNode file = m.path("stats");
        String name = file.path("file").isTextual() ? file.path("file").asText() : null;
        String dtype = file.path("dtype").asText(null);
        b.require("float32".equals(dtype) || "float16".equals(dtype),
                "manifest model.stats.dtype is " + file.path("dtype") + ", expected \"float32\" or \"float16\"");
        JsonNode dimsNode = file.path("dims");
        b.require(dimsNode.canConvertToInt() && dimsNode.asInt() > 0, "manifest model.stats.dims must be a positive integer");
        int dims = dimsNode.asInt();
        var path = b.listed(name, "model.stats.file");
        StatsFile.Header h = StatsFile.readHeader(path, name);
        b.require(h.dims() == dims && h.positions() == 1 && h.dtypeName().equals(dtype), name + ": header says d="
                + h.dims() + ", P=" + h.positions() + ", " + h.dtypeName() + " but the manifest says d=" + dims
                + ", one position, " + dtype);
        GaussianStats stats = StatsFile.read(path, name);
        return new GlobalMahalanobisModel(b.layers(), stats, m.path("shrinkage").asDouble(Double.NaN),
                m.path("covariance").asText(GlobalMahalanobisModel.LEDOIT_WOLF));
    }
}
