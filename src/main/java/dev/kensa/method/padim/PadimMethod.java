package dev.kensa.method.padim;

import dev.kensa.array.StatsFile;
import dev.kensa.method.BundleFiles;
import dev.kensa.method.DetectionMethod;
import dev.kensa.method.FitContext;
import dev.kensa.method.HeldOutPlan;
import dev.kensa.method.MethodFitter;
import dev.kensa.method.MethodModel;
import dev.kensa.method.MethodNotebook;
import dev.kensa.score.GaussianStats;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * PaDiM (Defard et al. 2020): per patch position a Gaussian of the concatenated layer1-3 features (d random
 * channels), scored by Mahalanobis distance; the image score is the max of the smoothed map (../shared/DESIGN.md §4).
 * Bundle: {@code embedding} and {@code stats} in the manifest ({@link PadimSections}), {@code stats.bin} beside it.
 */
public final class PadimMethod implements DetectionMethod {
    public static final String NAME = "padim";
    static final PadimMethod INSTANCE = new PadimMethod();
    private static final PadimNotebook NOTEBOOK = new PadimNotebook();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "PaDiM: per-patch Gaussian of the backbone's features, Mahalanobis distance";
    }

    @Override
    public List<String> defaultLayers() {
        return List.of("layer1", "layer2", "layer3");
    }

    /**
     * Exact leave-one-out first (the default): measured on bottle and transistor (CalibrationBiasExperiment) it gives
     * the threshold of an N-1 image model for every good image at about half the fit time of 5-fold, whose smaller
     * fold models score the goods up to 4 % higher at the threshold.
     */
    @Override
    public List<HeldOutPlan.Mode> heldOutModes() {
        return List.of(HeldOutPlan.Mode.LOO, HeldOutPlan.Mode.KFOLD);
    }

    @Override
    public MethodFitter fitter(FitContext context) {
        return new PadimFitter(context);
    }

    @Override
    public MethodNotebook notebook() {
        return NOTEBOOK;
    }

    @Override
    public MethodModel read(BundleFiles b) {
        PadimSections.Embedding emb = PadimSections.read(b, "embedding", PadimSections.Embedding.class);
        int[] grid = emb.grid();
        b.require(grid != null && grid.length == 2 && grid[0] > 0 && grid[1] > 0,
                "manifest embedding.grid must be [height, width], both positive");
        b.require(emb.sourceChannels() > 0, "manifest embedding.sourceChannels is " + emb.sourceChannels() + ", must be positive");
        int[] ch = emb.channels();
        b.require(ch != null && ch.length > 0, "manifest embedding.channels is empty");
        for (int i = 0; i < ch.length; i++) {
            b.require(ch[i] >= 0 && ch[i] < emb.sourceChannels(), "manifest embedding.channels[" + i + "] = " + ch[i]
                    + " is outside 0.." + (emb.sourceChannels() - 1) + " (sourceChannels " + emb.sourceChannels() + ")");
            if (i > 0 && ch[i] <= ch[i - 1]) {
                throw b.refuse("manifest embedding.channels must be ascending and distinct, but ["
                        + (i - 1) + "] = " + ch[i - 1] + " and [" + i + "] = " + ch[i]);
            }
        }
        b.require(b.section("stats").path("file").isTextual(), "manifest stats.file is missing");
        PadimSections.Stats st = PadimSections.read(b, "stats", PadimSections.Stats.class);
        b.require("float32".equals(st.dtype()) || "float16".equals(st.dtype()),
                "manifest stats.dtype is " + quoted(st.dtype()) + ", expected \"float32\" or \"float16\"");
        b.require(st.d() == ch.length, "manifest stats.d=" + st.d() + " but embedding.channels has " + ch.length);
        b.require((long) grid[0] * grid[1] == st.positions(), "manifest stats.positions=" + st.positions()
                + " but embedding.grid " + grid[0] + "x" + grid[1] + " = " + (long) grid[0] * grid[1]);
        var statsPath = b.listed(st.file(), "stats.file");

        StatsFile.Header header = StatsFile.readHeader(statsPath, st.file());
        String prefix = st.file() + ": header says ";
        b.require(header.dims() == st.d(), prefix + "d=" + header.dims() + " but manifest says d=" + st.d());
        b.require(header.positions() == st.positions(), prefix + "P=" + header.positions() + " but manifest says positions="
                + st.positions());
        b.require(header.dtypeName().equals(st.dtype()), prefix + header.dtypeName() + " but manifest says " + st.dtype());
        b.require(header.gridHeight() == grid[0] && header.gridWidth() == grid[1], prefix + "grid " + header.gridHeight()
                + "x" + header.gridWidth() + " but manifest embedding.grid is " + grid[0] + "x" + grid[1]);
        GaussianStats stats = StatsFile.read(statsPath, st.file());
        JsonNode eps = b.section("training").path("eps");
        return new PadimModel(b.layers(), emb.sourceChannels(), ch.clone(), emb.seed(), stats,
                eps.isNumber() ? eps.doubleValue() : null);
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
