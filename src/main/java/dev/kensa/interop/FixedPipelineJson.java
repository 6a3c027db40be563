package dev.kensa.interop;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import dev.kensa.method.MethodNotebook;
import dev.kensa.method.Methods;
import dev.kensa.util.JsonFields;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes the notebook's fixed-pipeline JSON ({@link FixedPipeline}). Strict about what it knows, open
 * about what it does not: a known key with a wrong type or value is a one-line {@link InteropException} naming the
 * file and the key; an unknown key or section (a section Kensa does not know such as {@code "efficientad"}, a
 * typo such as {@code padim.layer}) is returned in {@link Result#unknownKeys()} as a JSON path for the caller to print, never
 * dropped silently ({@link JsonFields}). Each method reads its own section. Works on the Jackson tree, so no reflection
 * is involved (native image).
 */
public final class FixedPipelineJson {
    /** A fixed-pipeline JSON is well under a kilobyte; a file far larger is not one and is not read into memory. */
    static final long MAX_BYTES = 1L << 20;

    private static final ObjectMapper JSON = JsonMapper.builder(new JsonFactory())
            // Python's json.dump writes NaN and Infinity; accepted by the parser so the refusal can name the key
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** The sections that are not a method's ({@link dev.kensa.method.MethodNotebook#section} reads those). */
    private static final Set<String> OWN_SECTIONS = Set.of("common", "threshold", "kensa");

    /**
     * @param unknownKeys JSON paths of keys this reader does not know, in file order, e.g. {@code padim.foo} or
     *                    {@code efficientad} for a whole section; empty when everything was understood
     */
    public record Result(FixedPipeline pipeline, List<String> unknownKeys) {
        public Result {
            unknownKeys = List.copyOf(unknownKeys);
        }
    }

    private FixedPipelineJson() {
    }

    public static Result read(Path file) {
        String label = file.toString();
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new InteropException(label + ": " + size + " bytes, too large for a fixed-pipeline JSON");
            }
            return parse(Files.readString(file), label);
        } catch (NoSuchFileException e) {
            throw new InteropException(label + ": missing", e);
        } catch (IOException e) {
            throw new InteropException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Parses {@code json}; {@code label} names it in messages (the file, usually). */
    public static Result parse(String json, String label) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InteropException(label + ": not valid JSON (" + e.getOriginalMessage().replace('\n', ' ')
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() : "") + ")", e);
        }
        if (root == null || root.isMissingNode()) {
            throw new InteropException(label + ": empty, expected a JSON object");
        }
        if (!root.isObject()) {
            throw new InteropException(label + ": " + JsonFields.kind(root) + ", expected a JSON object");
        }
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, JsonNode> section : root.properties()) {
            if (!OWN_SECTIONS.contains(section.getKey()) && !Methods.names().contains(section.getKey())) {
                unknown.add(section.getKey());
            }
        }
        JsonFields c = fields(root, "common", label, unknown).known("image_size", "seeds");
        FixedPipeline.Common common = c.present() ? new FixedPipeline.Common(c.positiveInt("image_size"), c.longs("seeds")) : null;
        JsonFields t = fields(root, "threshold", label, unknown).known("image_fpr_target", "value", "source");
        FixedPipeline.Threshold threshold = t.present()
                ? new FixedPipeline.Threshold(t.fraction("image_fpr_target"), t.finite("value"), t.string("source")) : null;
        Map<String, MethodNotebook.Section> methods = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> section : root.properties()) {
            if (Methods.names().contains(section.getKey())) {
                JsonFields m = fields(root, section.getKey(), label, unknown);
                if (m.present()) {
                    methods.put(section.getKey(), Methods.byName(section.getKey()).notebook().section(m));
                }
            }
        }
        JsonFields k = fields(root, "kensa", label, unknown).known("crop", "sigma", "pixel_threshold", "min_area",
                "opening", "heatmap_size", "jpeg_quality");
        FixedPipeline.Kensa kensa = k.present() ? new FixedPipeline.Kensa(k.positiveInt("crop"), k.positive("sigma"),
                k.positive("pixel_threshold"), k.intIn("min_area", 0, Integer.MAX_VALUE), k.intIn("opening", 0, 16),
                k.intIn("heatmap_size", 1, 4096), k.intIn("jpeg_quality", 1, 100)) : null;
        return new Result(new FixedPipeline(common, threshold, methods, kensa), unknown);
    }

    private static JsonFields fields(JsonNode root, String section, String label, List<String> unknown) {
        return new JsonFields(root.get(section), section, label, InteropException::new, unknown);
    }

    /** Writes {@code pipeline} to {@code file}, replacing it; absent sections and fields are left out. */
    public static void write(Path file, FixedPipeline pipeline) {
        try {
            Files.writeString(file, toJson(pipeline));
        } catch (IOException e) {
            throw new InteropException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** The JSON text for {@code pipeline}, with the notebook's key names, indented, ending in a newline. */
    public static String toJson(FixedPipeline pipeline) {
        ObjectNode root = JSON.createObjectNode();
        if (pipeline.common() != null) {
            ObjectNode s = root.putObject("common");
            put(s, "image_size", pipeline.common().imageSize());
            if (pipeline.common().seeds() != null) {
                ArrayNode a = s.putArray("seeds");
                pipeline.common().seeds().forEach(a::add);
            }
        }
        if (pipeline.threshold() != null) {
            FixedPipeline.Threshold t = pipeline.threshold();
            ObjectNode s = root.putObject("threshold");
            put(s, "image_fpr_target", t.imageFprTarget());
            put(s, "value", t.value());
            put(s, "source", t.source());
        }
        pipeline.methods().forEach((name, section) -> root.set(name, section.toJson()));
        if (pipeline.kensa() != null) {
            FixedPipeline.Kensa k = pipeline.kensa();
            ObjectNode s = root.putObject("kensa");
            put(s, "crop", k.crop());
            put(s, "sigma", k.sigma());
            put(s, "pixel_threshold", k.pixelThreshold());
            put(s, "min_area", k.minArea());
            put(s, "opening", k.opening());
            put(s, "heatmap_size", k.heatmapSize());
            put(s, "jpeg_quality", k.jpegQuality());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of plain values always serialises
        }
    }

    private static void put(ObjectNode s, String key, Object value) {
        if (value instanceof Integer i) {
            s.put(key, i);
        } else if (value instanceof Double d) {
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(key + " is " + d + "; the fixed-pipeline JSON holds finite numbers");
            }
            s.put(key, d);
        } else if (value instanceof String str) {
            s.put(key, str);
        }
    }
}
