package dev.kensa.cli;

import dev.kensa.util.ImageFiles;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** The images and the bundle that {@code inspect} and {@code bench} work on. */
public class ImagesAndModel {
    @Parameters(arity = "1..*", description = "image files, or folders (searched recursively)")
    List<Path> files;

    @Option(names = {"-m", "--model"}, required = true, description = "bundle directory or .zip")
    Path model;

    /** Files as given, folders expanded to the images anywhere below them. */
    List<Path> images() {
        return ImageFiles.expand(files);
    }
}
