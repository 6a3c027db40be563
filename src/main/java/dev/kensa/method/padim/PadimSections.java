package dev.kensa.method.padim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.method.BundleFiles;

/**
 * PaDiM's manifest sections, at the manifest's top level as in the bundles that predate methods (models/FORMAT.md), so
 * a box of that time still loads a PaDiM bundle made today.
 */
final class PadimSections {
    /** Records bind by their component names; unknown fields are ignored for forward compatibility, as in the manifest. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private PadimSections() {
    }

    /**
     * {@code embedding}.
     *
     * @param grid           [height, width] of the patch grid (56x56 for ResNet-18 layer1-3 at 224)
     * @param sourceChannels channels of the full concatenated embedding (448 for ResNet-18 layer1-3)
     * @param channels       the d kept channel indices into the full embedding, ascending
     * @param seed           seed the channel subset was drawn with (null when imported)
     */
    record Embedding(int[] grid, int sourceChannels, int[] channels, Long seed) {
    }

    /**
     * {@code stats}.
     *
     * @param dtype "float32" or "float16" (applies to the factor W; means are always float32)
     */
    record Stats(String file, String dtype, int d, int positions) {
    }

    static ObjectNode toJson(Object section) {
        return JSON.valueToTree(section);
    }

    /** The section {@code name} of the bundle's manifest as {@code type}; refused when missing or malformed. */
    static <T> T read(BundleFiles b, String name, Class<T> type) {
        JsonNode node = b.section(name);
        b.require(node.isObject(), "manifest " + name + " is missing");
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            String reason = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            int nl = reason.indexOf('\n');
            throw b.refuse("manifest " + name + " is not valid (" + (nl < 0 ? reason : reason.substring(0, nl)) + ")");
        }
    }
}
