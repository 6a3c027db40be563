package dev.kensa.method;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.bundle.Manifest;

import java.util.List;

/**
 * What a method put into a bundle directory: its files (checksummed by the writer) and its part of the manifest.
 * PaDiM keeps the {@code kensa-bundle/1} layout of the first bundles ({@code embedding} and {@code stats}, so boxes
 * that predate methods still load new PaDiM bundles); other methods describe themselves in {@code model}.
 *
 * @param eps   PaDiM's covariance regularisation for {@code training.eps}, null for other methods
 */
public record MethodManifest(List<String> files, Manifest.Embedding embedding, Manifest.Stats stats, ObjectNode model,
                             Double eps) {
    public MethodManifest {
        files = List.copyOf(files);
    }
}
