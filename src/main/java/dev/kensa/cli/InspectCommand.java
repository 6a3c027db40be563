package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspector;
import dev.kensa.pipeline.Inspectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Inspect images with a bundle: one result JSON per line on stdout, a heatmap JPEG per image.")
public class InspectCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ImagesAndModel target;

    @Option(names = "--heatmaps", defaultValue = "heatmaps", description = "folder for heatmap JPEGs (default ${DEFAULT-VALUE}); 'none' to skip")
    String heatmaps;

    @Option(names = "--batch", defaultValue = "8")
    int batch;

    @Option(names = "--threads")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        List<Path> images = target.images();
        ModelBundle bundle = BundleReader.read(target.model);
        Path heatmapDir = heatmaps.equals("none") ? null : Path.of(heatmaps);
        if (heatmapDir != null) {
            Files.createDirectories(heatmapDir);
        }
        ObjectMapper json = new ObjectMapper();
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        int[] failures = {0};
        try (Inspector inspector = Inspectors.open(bundle, t, batch)) {
            inspector.inspect(images.stream().map(ImageInput::of).toList(), in -> {
                try {
                    spec.commandLine().getOut().println(json.writeValueAsString(in.result()));
                    if (!in.scored()) {
                        failures[0]++;
                        spec.commandLine().getErr().println("kensa: error: " + in.result().source() + ": " + in.result().error());
                    } else if (heatmapDir != null) {
                        String name = Path.of(in.result().source()).getFileName().toString();
                        Files.write(heatmapDir.resolve(stem(name) + ".heatmap.jpg"), inspector.heatmapJpeg(in));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return failures[0] == 0 ? 0 : 1;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
