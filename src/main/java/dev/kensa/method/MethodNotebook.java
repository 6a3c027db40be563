package dev.kensa.method;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.backbone.LayerShape;
import dev.kensa.util.JsonFields;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * A method's part of a notebook's folder (README "From a notebook to the box", ../shared/DESIGN.md §5): its folder of
 * NumPy arrays, named after the method ({@code padim/mean.npy}, ...), and its section of {@code fixed_pipeline.json}.
 * {@code kensa bundle import} and {@code export} ({@code dev.kensa.interop}) handle the file, the threshold, the
 * backbone, the self-tests and the bundle; the method knows its arrays and its section. Refusals are one line naming
 * the file ({@link dev.kensa.array.ArrayException}); nothing is written by an import that is refused.
 */
public interface MethodNotebook {

    /** The method's section of the fixed-pipeline JSON, in the notebook's key names. */
    interface Section {
        /** The backbone layers the section names, in embedding order; null when it names none. */
        List<String> layers();

        /** The section as JSON, absent fields left out. */
        ObjectNode toJson();
    }

    /**
     * Reads the method's section strictly: a known key with a wrong type or value is refused through {@code fields},
     * unknown keys are recorded there ({@link JsonFields#known}).
     */
    Section section(JsonFields fields);

    /**
     * Checks the array headers in {@code folder} against each other and {@code section} (null: the JSON has none);
     * nothing large is read yet.
     *
     * @param json  the fixed-pipeline file, as refusals name it
     * @param notes remarks for the person (a file ignored, a default taken), one line each
     */
    Import open(Path folder, Section section, String json, Consumer<String> notes);

    /** A notebook's arrays whose headers agree, ready to load. */
    interface Import {
        /** The array files that will be read, for the manifest's record of the import. */
        List<Path> files();

        /**
         * Reads the arrays, checked against the backbone's real outputs, into a model.
         *
         * @param shapes  the backbone outputs' shapes, in {@code layers} order
         * @param float16 store the large arrays as float16
         */
        MethodModel load(List<LayerShape> shapes, List<String> layers, boolean float16, Consumer<String> notes);
    }

    /**
     * Writes the model's arrays into {@code folder} (empty, made by the caller) for a person to check in NumPy or to
     * import again, giving a bundle that scores the same.
     */
    Export export(MethodModel model, Path folder);

    /**
     * @param files   the arrays written, relative to the folder
     * @param section the method's section of the fixed-pipeline JSON
     * @param seeds   the random seeds of the fit for {@code common.seeds}, or null
     */
    record Export(List<String> files, Section section, List<Long> seeds) {
        public Export {
            files = List.copyOf(files);
        }
    }
}
