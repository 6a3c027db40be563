package dev.kensa.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.TestData;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.pipeline.Inspection;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.util.FileTrees;
import dev.kensa.verdict.Verdict;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundle check accepts exactly what the runtime can run (issue 14 item 1): every pipeline.json variant goes
 * through {@link BundleReader} and, when accepted, through the real inspector ({@link Inspectors#open}) on a real
 * bottle image, so "accepted" means "inspected", not only "parsed". One real bundle fitted on 8 bottle images; each
 * variant edits its pipeline.json (and the manifest's checksum of it).
 */
class PipelineVariantTest {
    @TempDir
    static Path tmp;
    static Path bundle;
    static byte[] defect;

    @BeforeAll
    static void fit() throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train"));
        try (Stream<Path> s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().limit(8).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        // no threshold calibration (its k refits): the variants are about the pipeline, not the threshold
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")).withCalibrate(false),
                false).bundle().dir();
        defect = Files.readAllBytes(TestData.bottle().resolve("test/broken_large/000.png"));
    }

    /** Variants the reader must accept, each with what it changes in pipeline.json. */
    static Map<String, Consumer<ObjectNode>> accepted() {
        Map<String, Consumer<ObjectNode>> v = new LinkedHashMap<>();
        v.put("no smoothing section", p -> p.remove("smoothing"));
        v.put("smoothing.sigma 0.25", p -> obj(p, "smoothing").put("sigma", 0.25));
        v.put("smoothing.sigma at the maximum", p -> obj(p, "smoothing").put("sigma", (double) BundleValidation.MAX_SIGMA));
        v.put("no regions section", p -> p.remove("regions"));
        v.put("regions.opening 0", p -> obj(p, "regions").put("opening", 0));
        v.put("regions.opening 2", p -> obj(p, "regions").put("opening", 2));
        v.put("regions.opening at the maximum", p -> obj(p, "regions").put("opening", BundleValidation.MAX_OPENING));
        v.put("regions.minArea 0", p -> obj(p, "regions").put("minArea", 0));
        v.put("no heatmap section", p -> p.remove("heatmap"));
        v.put("heatmap size 1, quality 1", p -> obj(p, "heatmap").put("size", 1).put("jpegQuality", 1));
        v.put("heatmap at the maximum size, quality 100", p -> obj(p, "heatmap")
                .put("size", BundleValidation.MAX_HEATMAP_SIZE).put("jpegQuality", 100));
        v.put("no pixel threshold", p -> ((ObjectNode) p.get("threshold")).remove("pixel"));
        v.put("every optional section missing", p -> {
            p.remove("smoothing");
            p.remove("regions");
            p.remove("heatmap");
            ((ObjectNode) p.get("threshold")).remove("pixel");
        });
        return v;
    }

    /** Variants the reader must refuse, and the words the refusal must contain. */
    static Map<String, Object[]> refused() {
        Map<String, Object[]> v = new LinkedHashMap<>();
        v.put("smoothing.sigma 0", r(p -> obj(p, "smoothing").put("sigma", 0.0), "smoothing.sigma is 0.0"));
        v.put("smoothing.sigma negative", r(p -> obj(p, "smoothing").put("sigma", -4.0), "smoothing.sigma is -4.0"));
        v.put("smoothing.sigma above the maximum", r(p -> obj(p, "smoothing").put("sigma", 1e9), "smoothing.sigma is 1.0E9"));
        v.put("regions.opening negative", r(p -> obj(p, "regions").put("opening", -1), "regions.opening is -1"));
        v.put("regions.opening above the maximum", r(p -> obj(p, "regions").put("opening", BundleValidation.MAX_OPENING + 1),
                "regions.opening is " + (BundleValidation.MAX_OPENING + 1)));
        v.put("regions.minArea negative", r(p -> obj(p, "regions").put("minArea", -1), "regions.minArea is -1"));
        v.put("heatmap.size 0", r(p -> obj(p, "heatmap").put("size", 0), "heatmap.size is 0"));
        v.put("heatmap.size above the maximum", r(p -> obj(p, "heatmap").put("size", BundleValidation.MAX_HEATMAP_SIZE + 1),
                "heatmap.size is " + (BundleValidation.MAX_HEATMAP_SIZE + 1)));
        v.put("heatmap.jpegQuality 0", r(p -> obj(p, "heatmap").put("jpegQuality", 0), "heatmap.jpegQuality is 0"));
        v.put("heatmap.jpegQuality 101", r(p -> obj(p, "heatmap").put("jpegQuality", 101), "heatmap.jpegQuality is 101"));
        v.put("pixel threshold 0", r(p -> obj(obj(p, "threshold"), "pixel").put("value", 0.0), "threshold.pixel.value is 0.0"));
        v.put("image threshold negative", r(p -> obj(obj(p, "threshold"), "image").put("value", -1.0),
                "threshold.image.value is -1.0"));
        v.put("no image threshold", r(p -> ((ObjectNode) p.get("threshold")).remove("image"), "threshold.image is missing"));
        v.put("no threshold section", r(p -> p.remove("threshold"), "threshold.image is missing"));
        v.put("no image section", r(p -> p.remove("image"), "image is missing"));
        v.put("crop above resize", r(p -> obj(p, "image").put("crop", 300), "crop must be positive and not above resize"));
        v.put("crop 0", r(p -> obj(p, "image").put("crop", 0), "crop must be positive and not above resize"));
        return v;
    }

    @Test
    void everyAcceptedVariantInspectsARealImage() throws Exception {
        List<String> failures = new ArrayList<>();
        for (var e : accepted().entrySet()) {
            Path dir = variant(e.getKey(), e.getValue());
            try {
                ModelBundle b = BundleReader.read(dir);
                try (Inspector inspector = Inspectors.open(b, 2, 1)) {
                    List<Inspection> out = new ArrayList<>();
                    inspector.inspect(List.of(ImageInput.of("variant.png", defect)), out::add);
                    assertEquals(1, out.size());
                    Inspection in = out.get(0);
                    assertNotEquals(Verdict.ERROR, in.result().verdict(), e.getKey() + ": " + in.result().error());
                    assertTrue(Double.isFinite(in.result().score()), e.getKey());
                    byte[] heatmap = inspector.heatmapJpeg(in);
                    assertTrue(heatmap.length > 2 && (heatmap[0] & 0xFF) == 0xFF && (heatmap[1] & 0xFF) == 0xD8,
                            e.getKey() + ": a JPEG heatmap");
                }
            } catch (RuntimeException | AssertionError ex) {
                failures.add(e.getKey() + ": " + ex);
            }
        }
        assertEquals(List.of(), failures, "accepted variants the runtime cannot run");
    }

    @Test
    void everyRefusedVariantIsRefusedWithTheFieldNamed() throws Exception {
        List<String> failures = new ArrayList<>();
        for (var e : refused().entrySet()) {
            @SuppressWarnings("unchecked")
            Consumer<ObjectNode> change = (Consumer<ObjectNode>) e.getValue()[0];
            String words = (String) e.getValue()[1];
            Path dir = variant(e.getKey(), change);
            try {
                BundleReader.read(dir);
                failures.add(e.getKey() + ": accepted");
            } catch (BundleException ex) {
                if (!ex.getMessage().contains(words)) {
                    failures.add(e.getKey() + ": refused with \"" + ex.getMessage() + "\", not naming \"" + words + "\"");
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    private static Object[] r(Consumer<ObjectNode> change, String words) {
        return new Object[]{change, words};
    }

    /** The section {@code name} of {@code p}, created when missing. */
    private static ObjectNode obj(ObjectNode p, String name) {
        return p.has(name) ? (ObjectNode) p.get(name) : p.putObject(name);
    }

    /** A copy of the fitted bundle with its pipeline.json changed and re-checksummed. */
    private static Path variant(String name, Consumer<ObjectNode> change) throws IOException {
        Path dir = tmp.resolve("variant-" + name.replaceAll("[^A-Za-z0-9]+", "-"));
        FileTrees.delete(dir);
        try (Stream<Path> s = Files.walk(bundle)) {
            for (Path p : s.toList()) {
                Path t = dir.resolve(bundle.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        ObjectNode p = (ObjectNode) BundleJson.MAPPER.readTree(dir.resolve(BundleReader.PIPELINE).toFile());
        change.accept(p);
        BundleJson.MAPPER.writeValue(dir.resolve(BundleReader.PIPELINE).toFile(), p);
        BundleFixtures.rehash(dir, BundleReader.PIPELINE);
        return dir;
    }
}
