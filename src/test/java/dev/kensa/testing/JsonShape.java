package dev.kensa.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/**
 * The field names of a JSON document in their order, nested, without the values: {@code {a,b{c,d},e[{f}]}}. An
 * array shows its first element's shape ({@code []} when empty); a null or scalar shows nothing. The wire contract
 * tests pin these strings, so a renamed, dropped, added or reordered field fails them.
 */
public final class JsonShape {
    private JsonShape() {
    }

    public static String of(JsonNode n) {
        StringBuilder b = new StringBuilder();
        append(n, b);
        return b.toString();
    }

    public static String of(byte[] json) {
        try {
            return of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json));
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + new String(json, java.nio.charset.StandardCharsets.UTF_8), e);
        }
    }

    private static void append(JsonNode n, StringBuilder b) {
        if (n.isObject()) {
            b.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    b.append(',');
                }
                first = false;
                b.append(e.getKey());
                append(e.getValue(), b);
            }
            b.append('}');
        } else if (n.isArray()) {
            b.append('[');
            if (n.size() > 0) {
                append(n.get(0), b);
            }
            b.append(']');
        }
    }
}
