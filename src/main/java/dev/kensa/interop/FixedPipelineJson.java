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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads and writes the notebook's fixed-pipeline JSON ({@link FixedPipeline}). Strict about what it knows, open
 * about what it does not: a known key with a wrong type or value is a one-line {@link InteropException} naming the
 * file and the key; an unknown key or section (a section Kensa does not know such as {@code "efficientad"}, a
 * typo such as {@code padim.layer}) is returned in {@link Result#unknownKeys()} as a JSON path for the caller to print, never
 * dropped silently. Works on the Jackson tree, so no reflection is involved (native image).
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

    private static final Set<String> SECTIONS = Set.of("common", "threshold", "padim", "mahalanobis", "patchcore", "kensa");

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
            throw new InteropException(label + ": " + kind(root) + ", expected a JSON object");
        }
        Reader r = new Reader(label);
        for (Map.Entry<String, JsonNode> section : root.properties()) {
            if (!SECTIONS.contains(section.getKey())) {
                r.unknown.add(section.getKey());
            }
        }
        FixedPipeline.Common common = r.section(root, "common", s -> new FixedPipeline.Common(
                r.positiveInt(s, "common", "image_size"), r.longs(s, "common", "seeds")), "image_size", "seeds");
        FixedPipeline.Threshold threshold = r.section(root, "threshold", s -> new FixedPipeline.Threshold(
                r.fraction(s, "threshold", "image_fpr_target"), r.finite(s, "threshold", "value"),
                r.string(s, "threshold", "source")), "image_fpr_target", "value", "source");
        FixedPipeline.Padim padim = r.section(root, "padim", s -> new FixedPipeline.Padim(
                r.strings(s, "padim", "layers"), r.positiveInt(s, "padim", "channel_subsample")),
                "layers", "channel_subsample");
        FixedPipeline.Mahalanobis mahalanobis = r.section(root, "mahalanobis", s -> new FixedPipeline.Mahalanobis(
                r.string(s, "mahalanobis", "backbone"), r.string(s, "mahalanobis", "cov_estimator"),
                r.strings(s, "mahalanobis", "layers")), "backbone", "cov_estimator", "layers");
        FixedPipeline.Patchcore patchcore = r.section(root, "patchcore", s -> new FixedPipeline.Patchcore(
                r.strings(s, "patchcore", "layers"), r.oddPositiveInt(s, "patchcore", "pooling"),
                r.positiveInt(s, "patchcore", "neighbours"), r.share(s, "patchcore", "coreset_ratio")),
                "layers", "pooling", "neighbours", "coreset_ratio");
        FixedPipeline.Kensa kensa = r.section(root, "kensa", s -> new FixedPipeline.Kensa(
                r.positiveInt(s, "kensa", "crop"), r.positive(s, "kensa", "sigma"), r.positive(s, "kensa", "pixel_threshold"),
                r.intIn(s, "kensa", "min_area", 0, Integer.MAX_VALUE), r.intIn(s, "kensa", "opening", 0, 16),
                r.intIn(s, "kensa", "heatmap_size", 1, 4096), r.intIn(s, "kensa", "jpeg_quality", 1, 100)),
                "crop", "sigma", "pixel_threshold", "min_area", "opening", "heatmap_size", "jpeg_quality");
        return new Result(new FixedPipeline(common, threshold, padim, mahalanobis, patchcore, kensa), r.unknown);
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
        if (pipeline.padim() != null) {
            ObjectNode s = root.putObject("padim");
            putStrings(s, "layers", pipeline.padim().layers());
            put(s, "channel_subsample", pipeline.padim().channelSubsample());
        }
        if (pipeline.mahalanobis() != null) {
            ObjectNode s = root.putObject("mahalanobis");
            put(s, "backbone", pipeline.mahalanobis().backbone());
            put(s, "cov_estimator", pipeline.mahalanobis().covEstimator());
            putStrings(s, "layers", pipeline.mahalanobis().layers());
        }
        if (pipeline.patchcore() != null) {
            FixedPipeline.Patchcore p = pipeline.patchcore();
            ObjectNode s = root.putObject("patchcore");
            putStrings(s, "layers", p.layers());
            put(s, "pooling", p.pooling());
            put(s, "neighbours", p.neighbours());
            put(s, "coreset_ratio", p.coresetRatio());
        }
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

    private static void putStrings(ObjectNode s, String key, List<String> values) {
        if (values != null) {
            ArrayNode a = s.putArray(key);
            values.forEach(a::add);
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

    /** Typed access to the known keys; every refusal names the file and the key's path. */
    private static final class Reader {
        final String label;
        final List<String> unknown = new ArrayList<>();

        Reader(String label) {
            this.label = label;
        }

        <T> T section(JsonNode root, String name, Function<JsonNode, T> build, String... keys) {
            JsonNode s = root.get(name);
            if (s == null || s.isNull()) {
                return null;
            }
            if (!s.isObject()) {
                throw refused(name, "must be an object, got " + kind(s));
            }
            for (Map.Entry<String, JsonNode> field : s.properties()) {
                if (!List.of(keys).contains(field.getKey())) {
                    unknown.add(name + "." + field.getKey());
                }
            }
            return build.apply(s);
        }

        Integer positiveInt(JsonNode s, String section, String key) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
                throw refused(section + "." + key, "must be a positive integer, got " + shown(v));
            }
            return v.intValue();
        }

        Integer oddPositiveInt(JsonNode s, String section, String key) {
            Integer v = positiveInt(s, section, key);
            if (v != null && v % 2 == 0) {
                throw refused(section + "." + key, "must be odd, got " + v);
            }
            return v;
        }

        Integer intIn(JsonNode s, String section, String key, int min, int max) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
                throw refused(section + "." + key, "must be an integer in " + min + ".."
                        + (max == Integer.MAX_VALUE ? "" : max) + ", got " + shown(v));
            }
            return v.intValue();
        }

        Double positive(JsonNode s, String section, String key) {
            Double v = finite(s, section, key);
            if (v != null && !(v > 0)) {
                throw refused(section + "." + key, "must be positive, got " + shown(s.get(key)));
            }
            return v;
        }

        Double share(JsonNode s, String section, String key) {
            Double v = finite(s, section, key);
            if (v != null && !(v > 0 && v <= 1)) {
                throw refused(section + "." + key, "must be in (0, 1], got " + shown(s.get(key)));
            }
            return v;
        }

        Double finite(JsonNode s, String section, String key) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw refused(section + "." + key, "must be a finite number, got " + shown(v));
            }
            return v.doubleValue();
        }

        Double fraction(JsonNode s, String section, String key) {
            Double v = finite(s, section, key);
            if (v != null && (v < 0 || v >= 1)) {
                throw refused(section + "." + key, "must be a rate in [0, 1), got " + shown(s.get(key)));
            }
            return v;
        }

        String string(JsonNode s, String section, String key) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isTextual()) {
                throw refused(section + "." + key, "must be a string, got " + shown(v));
            }
            return v.textValue();
        }

        List<String> strings(JsonNode s, String section, String key) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isArray() || v.isEmpty()) {
                throw refused(section + "." + key, "must be a non-empty list of strings, got " + shown(v));
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual() || v.get(i).textValue().isBlank()) {
                    throw refused(section + "." + key + "[" + i + "]", "must be a non-blank string, got " + shown(v.get(i)));
                }
                out.add(v.get(i).textValue());
            }
            return out;
        }

        List<Long> longs(JsonNode s, String section, String key) {
            JsonNode v = s.get(key);
            if (absent(v)) {
                return null;
            }
            if (!v.isArray()) {
                throw refused(section + "." + key, "must be a list of integers, got " + shown(v));
            }
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToLong()) {
                    throw refused(section + "." + key + "[" + i + "]", "must be a 64-bit integer, got " + shown(e));
                }
                out.add(e.longValue());
            }
            return out;
        }

        private static boolean absent(JsonNode v) {
            return v == null || v.isNull();
        }

        private InteropException refused(String path, String why) {
            return new InteropException(label + ": " + path + " " + why);
        }
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> "null";
        };
    }

    /** A value for a one-line message: its JSON text, cut short. */
    private static String shown(JsonNode v) {
        String s = v.isNumber() ? v.asText() : v.toString(); // toString() would quote NaN
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
