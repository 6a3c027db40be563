package dev.kensa.method;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;

/**
 * What a method reads its model from (../shared/DESIGN.md §5): a bundle directory whose listed files all matched the
 * manifest's checksums, and the manifest's sections the method wrote ({@link MethodManifest}). The bundle reader makes
 * one; refusals name the bundle.
 */
public interface BundleFiles {

    /**
     * A section of the manifest by name: a method's own ({@code model}; PaDiM's {@code embedding} and {@code stats},
     * kept at the top level for the bundles that predate methods) or {@code training}. A missing node when absent.
     */
    JsonNode section(String name);

    /** The backbone outputs the bundle uses, in embedding order ({@code backbone.outputs}). */
    List<String> layers();

    /** A file of the bundle that the manifest checksums; refused when it is not listed. */
    Path listed(String file, String what);

    /** A refusal of the bundle, naming it: "bundle DIR: PROBLEM". */
    RuntimeException refuse(String problem);

    default void require(boolean ok, String problem) {
        if (!ok) {
            throw refuse(problem);
        }
    }
}
