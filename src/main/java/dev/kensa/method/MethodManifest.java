package dev.kensa.method;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a method put into a bundle directory: its files (checksummed by the writer) and its sections of the manifest.
 * PaDiM keeps the {@code kensa-bundle/1} layout of the first bundles (sections {@code embedding} and {@code stats}, so
 * boxes that predate methods still load new PaDiM bundles); other methods describe themselves in {@code model}.
 *
 * @param sections the manifest sections by name, each one of {@link #SECTIONS}
 * @param eps      PaDiM's covariance regularisation for {@code training.eps}, null for other methods
 */
public record MethodManifest(List<String> files, Map<String, ObjectNode> sections, Double eps) {
    /** The manifest sections a method may write (the manifest's layout is a contract). */
    public static final Set<String> SECTIONS = Set.of("embedding", "stats", "model");

    public MethodManifest {
        files = List.copyOf(files);
        sections = Map.copyOf(sections);
        if (!SECTIONS.containsAll(sections.keySet())) {
            throw new IllegalArgumentException("manifest sections " + sections.keySet() + ": a method writes only " + SECTIONS);
        }
    }
}
