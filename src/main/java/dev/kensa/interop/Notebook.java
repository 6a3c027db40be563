package dev.kensa.interop;

import dev.kensa.method.MethodNotebook;
import dev.kensa.method.Methods;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The folder a notebook hands to {@code kensa bundle import} and that {@code kensa bundle export} writes (README,
 * "From a notebook to the box"): the fixed-pipeline JSON ({@link FixedPipeline}) and one folder of {@code .npy} arrays
 * named after the method, whose files the method defines ({@link MethodNotebook}), e.g.
 * <pre>
 * fixed_pipeline.json          threshold, image size, the method's section, ...
 * padim/mean.npy, padim/cov.npy (or inv_cov.npy), padim/idx.npy
 * </pre>
 */
public final class Notebook {
    public static final String FIXED_PIPELINE = "fixed_pipeline.json";

    private Notebook() {
    }

    /** The method folders present in {@code dir}, in {@link Methods}' order. */
    static List<String> methodsIn(Path dir) {
        return Methods.names().stream().filter(m -> Files.isDirectory(dir.resolve(m))).toList();
    }
}
