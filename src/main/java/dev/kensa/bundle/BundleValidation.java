package dev.kensa.bundle;

import dev.kensa.KensaException;
import dev.kensa.method.Methods;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The checks of a bundle's manifest and pipeline that do not depend on its method: exactly what the runtime needs
 * (the method checks its own section, {@link dev.kensa.method.DetectionMethod#read}). A refusal is a
 * {@link BundleException} naming the bundle and the field.
 */
final class BundleValidation {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** An opening wider than this erases any region a 224-pixel map can hold. */
    static final int MAX_OPENING = 16;
    static final int MAX_HEATMAP_SIZE = 4096;
    /**
     * A blur wider than this flattens any map the backbone's crop can give (its kernel, 2 * int(4 sigma + 0.5) + 1
     * taps, is already twice a 224-pixel map); far above it the kernel no longer fits in an array.
     */
    static final int MAX_SIGMA = 64;

    private BundleValidation() {
    }

    /** The manifest in itself: format, method, checksums, backbone, self-tests; every referenced file checksummed. */
    static void checkManifest(Manifest m, String where) {
        if (!Manifest.FORMAT.equals(m.format())) {
            throw new BundleException(where + ": manifest format is " + quoted(m.format()) + ", this build reads " + Manifest.FORMAT);
        }
        require(m.id() != null && !m.id().isBlank(), where, "manifest id is missing");
        try {
            Methods.byName(m.method());
        } catch (KensaException e) {
            throw new BundleException(where + ": manifest method " + quoted(m.method()) + " is not known to this build ("
                    + String.join(", ", Methods.names()) + ")");
        }
        require(m.sha256() != null && !m.sha256().isEmpty(), where, "manifest sha256 is missing");
        for (Map.Entry<String, String> e : m.sha256().entrySet()) {
            String problem = SafeUnzip.unsafeName(e.getKey());
            require(problem == null, where, "manifest sha256 lists " + quoted(e.getKey()) + ": " + problem);
            require(!e.getKey().equals(BundleReader.MANIFEST), where, "manifest sha256 lists manifest.json itself");
            require(e.getValue() != null && SHA256_HEX.matcher(e.getValue().toLowerCase()).matches(), where,
                    "manifest sha256 of " + e.getKey() + " is not 64 hex digits: " + quoted(e.getValue()));
        }

        Manifest.Backbone bb = m.backbone();
        require(bb != null && bb.file() != null, where, "manifest backbone.file is missing");
        Manifest.Input in = bb.input();
        require(in != null, where, "manifest backbone.input is missing");
        require(in.width() > 0 && in.height() > 0, where,
                "manifest backbone.input is " + in.width() + "x" + in.height() + ", must be positive");
        require(in.mean() != null && in.std() != null && in.mean().length > 0 && in.mean().length == in.std().length, where,
                "manifest backbone.input mean and std must be given per input channel");
        for (float s : in.std()) {
            require(s > 0 && Float.isFinite(s), where, "manifest backbone.input std " + s + " must be positive");
        }
        require("RGB".equals(in.channelOrder()) || "BGR".equals(in.channelOrder()), where,
                "manifest backbone.input channelOrder is " + quoted(in.channelOrder()) + ", expected \"RGB\" or \"BGR\"");
        require(bb.outputs() != null && !bb.outputs().isEmpty(), where, "manifest backbone.outputs is empty");
        require(bb.outputs().stream().distinct().count() == bb.outputs().size(), where,
                "manifest backbone.outputs names a layer twice: " + bb.outputs());

        covered(m, bb.file(), "backbone.file", where);
        covered(m, BundleReader.PIPELINE, "the pipeline", where);
        List<Manifest.SelfTest> tests = selfTests(m);
        for (int i = 0; i < tests.size(); i++) {
            Manifest.SelfTest t = tests.get(i);
            require(t != null && t.file() != null, where, "manifest selfTest[" + i + "].file is missing");
            covered(m, t.file(), "selfTest[" + i + "]", where);
            require(Double.isFinite(t.expectedScore()), where, "manifest selfTest[" + i + "].expectedScore is not finite");
            require(Double.isFinite(t.tolerance()) && t.tolerance() >= 0, where,
                    "manifest selfTest[" + i + "].tolerance " + t.tolerance() + " must be finite and not negative");
        }
    }

    /** What the inspector needs of pipeline.json; optional sections may be missing ({@link PipelineConfig#withDefaults}). */
    static void checkPipeline(PipelineConfig p, String where) {
        PipelineConfig.Image image = p.image();
        require(image != null, where, "pipeline.json image is missing");
        require(image.crop() > 0 && image.resize() >= image.crop(), where, "pipeline.json image resize=" + image.resize()
                + " crop=" + image.crop() + ": crop must be positive and not above resize");
        PipelineConfig.Threshold t = p.threshold();
        require(t != null && t.image() != null, where, "pipeline.json threshold.image is missing");
        double v = t.image().value();
        require(Double.isFinite(v) && v > 0, where, "pipeline.json threshold.image.value is " + v + ", must be positive and finite");
        if (t.pixel() != null) {
            double pv = t.pixel().value();
            require(Double.isFinite(pv) && pv > 0, where, "pipeline.json threshold.pixel.value is " + pv + ", must be positive and finite");
        }
        if (p.smoothing() != null) {
            double s = p.smoothing().sigma();
            require(s > 0 && s <= MAX_SIGMA, where, "pipeline.json smoothing.sigma is " + s + ", must be above 0 and at most "
                    + MAX_SIGMA);
        }
        if (p.regions() != null) {
            require(p.regions().minArea() >= 0, where, "pipeline.json regions.minArea is " + p.regions().minArea()
                    + ", must not be negative");
            require(p.regions().opening() >= 0 && p.regions().opening() <= MAX_OPENING, where, "pipeline.json regions.opening is "
                    + p.regions().opening() + ", must be 0.." + MAX_OPENING);
        }
        if (p.heatmap() != null) {
            require(p.heatmap().size() > 0 && p.heatmap().size() <= MAX_HEATMAP_SIZE, where, "pipeline.json heatmap.size is "
                    + p.heatmap().size() + ", must be 1.." + MAX_HEATMAP_SIZE);
            require(p.heatmap().jpegQuality() >= 1 && p.heatmap().jpegQuality() <= 100, where,
                    "pipeline.json heatmap.jpegQuality is " + p.heatmap().jpegQuality() + ", must be 1..100");
        }
    }

    private static void covered(Manifest m, String file, String what, String where) {
        require(m.sha256().containsKey(file), where, quoted(file) + " (" + what + ") has no sha256 in the manifest");
    }

    static List<Manifest.SelfTest> selfTests(Manifest m) {
        return m.selfTest() == null ? List.of() : m.selfTest();
    }

    static void require(boolean ok, String where, String problem) {
        if (!ok) {
            throw new BundleException(where + ": " + problem);
        }
    }

    static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
