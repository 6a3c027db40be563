package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Inspect images (files, or folders searched recursively) with a bundle: one result JSON per line "
                + "on stdout, naming its heatmap JPEG.")
public class InspectCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ImagesAndModel target;

    @Option(names = "--heatmaps", defaultValue = "heatmaps", description = "folder for heatmap JPEGs (default ${DEFAULT-VALUE}), "
            + "laid out like the images' folders; 'none' to skip")
    String heatmaps;

    @Option(names = "--batch", defaultValue = "8")
    int batch;

    @Option(names = "--threads")
    Integer threads;

    @picocli.CommandLine.Mixin
    QualityOption quality;

    @Override
    public Integer call() throws IOException {
        List<Path> images = target.images();
        ModelBundle bundle = BundleReader.read(target.model);
        Path heatmapDir = heatmaps.equals("none") ? null : Path.of(heatmaps);
        List<Path> heatmapFiles = heatmapDir == null ? null : heatmapFiles(images, heatmapDir);
        ObjectMapper json = new ObjectMapper();
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        int[] failures = {0};
        try (Inspector inspector = Inspectors.open(bundle, t, batch, dev.kensa.gpu.Backends.Options.defaults(), quality.enabled())) {
            inspector.inspect(images.stream().map(ImageInput::of).toList(), in -> {
                try {
                    ObjectNode line = json.valueToTree(in.result());
                    if (!in.scored()) {
                        failures[0]++;
                    } else if (heatmapFiles != null) {
                        // written before its line is printed, so a reader of the line can open the file
                        Path file = heatmapFiles.get(in.index());
                        Files.createDirectories(file.getParent());
                        Files.write(file, inspector.heatmapJpeg(in));
                        line.put("heatmap", file.toString());
                    }
                    spec.commandLine().getOut().println(json.writeValueAsString(line));
                    if (!in.scored()) {
                        spec.commandLine().getErr().println("kensa: error: " + in.result().source() + ": " + in.result().error());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return failures[0] == 0 ? 0 : 1;
    }

    /**
     * One heatmap file per image, unique within the run: the image's path below the images' common folder, with
     * {@code .heatmap.jpg} for its extension ({@code test/good/000.png} and {@code test/broken_large/000.png} become
     * {@code good/000.heatmap.jpg} and {@code broken_large/000.heatmap.jpg}); two images differing only in their
     * extension keep it ({@code 000.png.heatmap.jpg}).
     */
    static List<Path> heatmapFiles(List<Path> images, Path dir) {
        List<Path> absolute = images.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        Path common = absolute.get(0).getParent();
        for (Path p : absolute) {
            while (!p.startsWith(common)) {
                common = common.getParent();
            }
        }
        Path base = common;
        List<String> stems = absolute.stream().map(p -> stem(base.relativize(p).toString())).toList();
        Map<String, Integer> uses = new HashMap<>();
        stems.forEach(s -> uses.merge(s, 1, Integer::sum));
        List<Path> out = new java.util.ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            String rel = uses.get(stems.get(i)) > 1 ? base.relativize(absolute.get(i)).toString() : stems.get(i);
            out.add(dir.resolve(rel + ".heatmap.jpg"));
        }
        return out;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        int slash = name.lastIndexOf('/');
        return dot > slash + 1 ? name.substring(0, dot) : name;
    }
}
