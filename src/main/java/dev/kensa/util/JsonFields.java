package dev.kensa.util;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Strict, typed access to the fields of one JSON object of a file a person or a notebook wrote (a section of the
 * fixed-pipeline JSON). A known key with a wrong type or value is refused in one line naming the file and the key's
 * path; a key the reader does not know is recorded as a JSON path for the caller to print, never dropped silently. A
 * JSON null counts as absent. Works on the Jackson tree: no reflection (native image).
 */
public final class JsonFields {
    private final JsonNode object;
    private final String path;
    private final String label;
    private final Function<String, RuntimeException> refusal;
    private final List<String> unknown;

    /**
     * @param object  the object (null or a missing node: an empty section)
     * @param path    its JSON path in the file, e.g. {@code padim}
     * @param label   the file, as messages name it
     * @param refusal makes the exception of a refusal from its one-line message
     * @param unknown where unknown keys are added, as paths ({@code padim.foo})
     */
    public JsonFields(JsonNode object, String path, String label, Function<String, RuntimeException> refusal,
                      List<String> unknown) {
        if (object != null && !object.isMissingNode() && !object.isNull() && !object.isObject()) {
            throw refusal.apply(label + ": " + path + " must be an object, got " + kind(object));
        }
        this.object = object == null || object.isNull() ? null : object;
        this.path = path;
        this.label = label;
        this.refusal = refusal;
        this.unknown = unknown;
    }

    /** Whether the object is there at all (a section may be absent, then every field reads as absent). */
    public boolean present() {
        return object != null && !object.isMissingNode();
    }

    /** Records every key of the object that is not one of {@code keys} as unknown; returns this. */
    public JsonFields known(String... keys) {
        if (present()) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                if (!List.of(keys).contains(field.getKey())) {
                    unknown.add(path + "." + field.getKey());
                }
            }
        }
        return this;
    }

    public Integer positiveInt(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
            throw refused(key, "must be a positive integer, got " + shown(v));
        }
        return v.intValue();
    }

    public Integer oddPositiveInt(String key) {
        Integer v = positiveInt(key);
        if (v != null && v % 2 == 0) {
            throw refused(key, "must be odd, got " + v);
        }
        return v;
    }

    public Integer intIn(String key, int min, int max) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw refused(key, "must be an integer in " + min + ".." + (max == Integer.MAX_VALUE ? "" : max) + ", got " + shown(v));
        }
        return v.intValue();
    }

    public Double positive(String key) {
        Double v = finite(key);
        if (v != null && !(v > 0)) {
            throw refused(key, "must be positive, got " + shown(get(key)));
        }
        return v;
    }

    /** A share in (0, 1]. */
    public Double share(String key) {
        Double v = finite(key);
        if (v != null && !(v > 0 && v <= 1)) {
            throw refused(key, "must be in (0, 1], got " + shown(get(key)));
        }
        return v;
    }

    /** A rate in [0, 1). */
    public Double fraction(String key) {
        Double v = finite(key);
        if (v != null && (v < 0 || v >= 1)) {
            throw refused(key, "must be a rate in [0, 1), got " + shown(get(key)));
        }
        return v;
    }

    public Double finite(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw refused(key, "must be a finite number, got " + shown(v));
        }
        return v.doubleValue();
    }

    public String string(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw refused(key, "must be a string, got " + shown(v));
        }
        return v.textValue();
    }

    /** A non-empty list of non-blank strings. */
    public List<String> strings(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isArray() || v.isEmpty()) {
            throw refused(key, "must be a non-empty list of strings, got " + shown(v));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || v.get(i).textValue().isBlank()) {
                throw refused(key + "[" + i + "]", "must be a non-blank string, got " + shown(v.get(i)));
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    public List<Long> longs(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw refused(key, "must be a list of integers, got " + shown(v));
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToLong()) {
                throw refused(key + "[" + i + "]", "must be a 64-bit integer, got " + shown(e));
            }
            out.add(e.longValue());
        }
        return out;
    }

    /** The field's node; null when the object or the field is absent or the field is JSON null. */
    private JsonNode get(String key) {
        if (!present()) {
            return null;
        }
        JsonNode v = object.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private RuntimeException refused(String key, String why) {
        return refusal.apply(label + ": " + path + "." + key + " " + why);
    }

    /** How a message names a JSON value's type. */
    public static String kind(JsonNode v) {
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
