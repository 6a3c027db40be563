package dev.kensa.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.kensa.testing.OneLine.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FixedPipelineJsonTest {
    /** The notebook's fixed-pipeline JSON as issue 13 quotes it. */
    static final String NOTEBOOK = """
            {"common": {"image_size": 256, "seeds": [0, 1, 2]},
             "threshold": {"image_fpr_target": 0.01, "value": 21.3, "source": "dev_carpet_test"},
             "padim": {"layers": ["layer2", "layer3"], "channel_subsample": 100},
             "mahalanobis": {"backbone": "resnet18", "cov_estimator": "ledoit_wolf"}}
            """;

    @TempDir
    Path tmp;

    private static FixedPipelineJson.Result parse(String json) {
        return FixedPipelineJson.parse(json, "fixed_pipeline.json");
    }

    private static String refusal(String json) {
        String m = assertThrows(InteropException.class, () -> parse(json)).getMessage();
        assertTrue(m.startsWith("fixed_pipeline.json: "), "names the file: " + m);
        assertOneLine(m);
        return m.substring("fixed_pipeline.json: ".length());
    }

    @Test
    void readsEverySectionOfTheNotebooksJson() {
        FixedPipelineJson.Result r = parse(NOTEBOOK);
        assertEquals(List.of(), r.unknownKeys());
        FixedPipeline p = r.pipeline();
        assertEquals(new FixedPipeline.Common(256, List.of(0L, 1L, 2L)), p.common());
        assertEquals(new FixedPipeline.Threshold(0.01, 21.3, "dev_carpet_test"), p.threshold());
        assertSection("{\"layers\": [\"layer2\", \"layer3\"], \"channel_subsample\": 100}", p.method("padim"));
        assertEquals(List.of("layer2", "layer3"), p.method("padim").layers());
        assertSection("{\"backbone\": \"resnet18\", \"cov_estimator\": \"ledoit_wolf\"}", p.method("mahalanobis"));
        assertNull(p.method("mahalanobis").layers());
    }

    /** A method's section as it reads back: the same JSON, absent keys left out. */
    private static void assertSection(String expected, dev.kensa.method.MethodNotebook.Section section) {
        try {
            ObjectMapper json = new ObjectMapper();
            assertEquals(json.readTree(expected), section.toJson());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void missingSectionsAndFieldsAreNull() {
        FixedPipeline p = parse("{\"padim\": {\"layers\": [\"layer1\", \"layer2\", \"layer3\"]}, \"threshold\": {\"value\": null}}")
                .pipeline();
        assertNull(p.common());
        assertNull(p.method("mahalanobis"));
        assertSection("{\"layers\": [\"layer1\", \"layer2\", \"layer3\"]}", p.method("padim"));
        assertEquals(new FixedPipeline.Threshold(null, null, null), p.threshold(), "JSON null counts as absent");
        assertEquals(new FixedPipeline(null, null, null, null), parse("{}").pipeline());
    }

    @Test
    void unknownKeysAndSectionsAreReportedInFileOrder() {
        FixedPipelineJson.Result r = parse("""
                {"common": {"image_size": 224, "device": "cuda"},
                 "efficientad": {"teacher": "wide_resnet"},
                 "padim": {"layer": ["layer2"], "channel_subsample": 100, "foo": 1},
                 "patchcore": {"coreset_ratio": 0.1, "k": 9},
                 "notes": "fitted on tuesday"}
                """);
        assertEquals(List.of("efficientad", "notes", "common.device", "padim.layer", "padim.foo", "patchcore.k"), r.unknownKeys());
        assertEquals(224, r.pipeline().common().imageSize());
        assertNull(r.pipeline().method("padim").layers(), "padim.layer is not padim.layers");
    }

    @Test
    void wrongTypesAndValuesNameTheKey() {
        assertEquals("common.image_size must be a positive integer, got \"256\"",
                refusal("{\"common\": {\"image_size\": \"256\"}}"));
        assertEquals("common.image_size must be a positive integer, got 256.5",
                refusal("{\"common\": {\"image_size\": 256.5}}"));
        assertEquals("common.image_size must be a positive integer, got 0", refusal("{\"common\": {\"image_size\": 0}}"));
        assertEquals("common.seeds[1] must be a 64-bit integer, got 1.5", refusal("{\"common\": {\"seeds\": [0, 1.5]}}"));
        assertEquals("common.seeds[0] must be a 64-bit integer, got 99999999999999999999",
                refusal("{\"common\": {\"seeds\": [99999999999999999999]}}"));
        assertEquals("common.seeds must be a list of integers, got 7", refusal("{\"common\": {\"seeds\": 7}}"));
        assertEquals("threshold.value must be a finite number, got NaN", refusal("{\"threshold\": {\"value\": NaN}}"));
        assertEquals("threshold.value must be a finite number, got \"21.3\"", refusal("{\"threshold\": {\"value\": \"21.3\"}}"));
        assertEquals("threshold.image_fpr_target must be a rate in [0, 1), got 1.5",
                refusal("{\"threshold\": {\"image_fpr_target\": 1.5}}"));
        assertEquals("threshold.source must be a string, got 3", refusal("{\"threshold\": {\"source\": 3}}"));
        assertEquals("padim.layers must be a non-empty list of strings, got \"layer2\"",
                refusal("{\"padim\": {\"layers\": \"layer2\"}}"));
        assertEquals("padim.layers must be a non-empty list of strings, got []", refusal("{\"padim\": {\"layers\": []}}"));
        assertEquals("padim.layers[1] must be a non-blank string, got 3", refusal("{\"padim\": {\"layers\": [\"layer2\", 3]}}"));
        assertEquals("padim.channel_subsample must be a positive integer, got -100",
                refusal("{\"padim\": {\"channel_subsample\": -100}}"));
        assertEquals("mahalanobis.cov_estimator must be a string, got true",
                refusal("{\"mahalanobis\": {\"cov_estimator\": true}}"));
        assertEquals("padim must be an object, got a list", refusal("{\"padim\": [\"layer2\"]}"));
        assertEquals("a list, expected a JSON object", refusal("[1, 2]"));
        assertEquals("empty, expected a JSON object", refusal("  "));
    }

    /** What Kensa adds to the notebook's JSON, and what bundle export writes: mahalanobis.layers, patchcore, kensa. */
    static final String KENSA_ADDITIONS = """
            {"mahalanobis": {"cov_estimator": "ledoit_wolf", "layers": ["layer1", "layer2", "layer3"]},
             "patchcore": {"layers": ["layer2", "layer3"], "pooling": 3, "neighbours": 9, "coreset_ratio": 0.01},
             "kensa": {"crop": 224, "sigma": 4.0, "pixel_threshold": 9.5, "min_area": 10, "opening": 1,
                       "heatmap_size": 256, "jpeg_quality": 85}}
            """;

    @Test
    void readsAndWritesKensasAdditions() throws IOException {
        FixedPipelineJson.Result r = parse(KENSA_ADDITIONS);
        assertEquals(List.of(), r.unknownKeys());
        FixedPipeline p = r.pipeline();
        assertSection("{\"cov_estimator\": \"ledoit_wolf\", \"layers\": [\"layer1\", \"layer2\", \"layer3\"]}",
                p.method("mahalanobis"));
        assertSection("{\"layers\": [\"layer2\", \"layer3\"], \"pooling\": 3, \"neighbours\": 9, \"coreset_ratio\": 0.01}",
                p.method("patchcore"));
        assertEquals(new FixedPipeline.Kensa(224, 4.0, 9.5, 10, 1, 256, 85), p.kensa());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(KENSA_ADDITIONS), json.readTree(FixedPipelineJson.toJson(p)));

        assertEquals("patchcore.pooling must be odd, got 2", refusal("{\"patchcore\": {\"pooling\": 2}}"));
        assertEquals("patchcore.coreset_ratio must be in (0, 1], got 0", refusal("{\"patchcore\": {\"coreset_ratio\": 0}}"));
        assertEquals("kensa.sigma must be positive, got -1", refusal("{\"kensa\": {\"sigma\": -1}}"));
        assertEquals("kensa.opening must be an integer in 0..16, got 17", refusal("{\"kensa\": {\"opening\": 17}}"));
        assertEquals("kensa.min_area must be an integer in 0.., got -1", refusal("{\"kensa\": {\"min_area\": -1}}"));
        assertEquals("kensa.jpeg_quality must be an integer in 1..100, got 0", refusal("{\"kensa\": {\"jpeg_quality\": 0}}"));
        assertEquals("mahalanobis.layers must be a non-empty list of strings, got []", refusal("{\"mahalanobis\": {\"layers\": []}}"));
    }

    @Test
    void brokenJsonIsOneLineWithItsPosition() {
        assertOneLine(refusal("{\"common\": {\"image_size\": 256,}}"), "not valid JSON", "line 1");
        assertOneLine(refusal("{\"common\": {}, \"common\": {}}"), "not valid JSON", "Duplicate field 'common'");
        assertOneLine(refusal("{\"common\": {}} {}"), "not valid JSON", "Trailing token");
    }

    @Test
    void writerRoundTripsAndSpeaksTheNotebooksKeys() throws IOException {
        FixedPipeline p = parse(NOTEBOOK).pipeline();
        Path file = tmp.resolve("fixed_pipeline.json");
        FixedPipelineJson.write(file, p);
        FixedPipelineJson.Result back = FixedPipelineJson.read(file);
        assertEquals(p, back.pipeline());
        assertEquals(List.of(), back.unknownKeys());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(NOTEBOOK), json.readTree(Files.readString(file)), "same JSON the notebook wrote");

        FixedPipeline partial = new FixedPipeline(null, new FixedPipeline.Threshold(null, 12.5, null), null, null);
        assertEquals("{\n  \"threshold\" : {\n    \"value\" : 12.5\n  }\n}\n", FixedPipelineJson.toJson(partial));
        assertEquals(partial, parse(FixedPipelineJson.toJson(partial)).pipeline());
    }

    @Test
    void fileProblems() throws IOException {
        Path missing = tmp.resolve("none.json");
        assertEquals(missing + ": missing", assertThrows(InteropException.class, () -> FixedPipelineJson.read(missing)).getMessage());
        Path big = tmp.resolve("big.json");
        Files.write(big, new byte[(int) FixedPipelineJson.MAX_BYTES + 1]);
        assertEquals(big + ": 1048577 bytes, too large for a fixed-pipeline JSON",
                assertThrows(InteropException.class, () -> FixedPipelineJson.read(big)).getMessage());
    }
}
