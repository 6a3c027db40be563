package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.util.ImageFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A labelled image set in MVTec layout: {@code DIR/test/<type>/*.png} (or {@code DIR/<type>/*.png}), where type
 * "good" is good and every other type is a defect class; masks, when present, are
 * {@code DIR/ground_truth/<type>/<name>_mask.png}.
 */
public record DevSet(Path root, List<Path> good, List<Path> defective, List<String> defectTypes) {

    public static DevSet of(Path dir) {
        Path test = Files.isDirectory(dir.resolve("test")) ? dir.resolve("test") : dir;
        if (!Files.isDirectory(test.resolve("good"))) {
            throw new KensaException("labelled set " + dir + " has no good/ folder (expected MVTec layout: test/good, test/<defect>)");
        }
        List<Path> good = ImageFiles.list(test.resolve("good"), "good");
        List<Path> defective = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (Stream<Path> s = Files.list(test)) {
            for (Path t : s.filter(Files::isDirectory).sorted().toList()) {
                String name = t.getFileName().toString();
                if (!name.equals("good")) {
                    types.add(name);
                    defective.addAll(ImageFiles.list(t, "defect '" + name + "'"));
                }
            }
        } catch (IOException e) {
            throw new KensaException("cannot list " + test + ": " + e.getMessage(), e);
        }
        return new DevSet(dir, good, defective, types);
    }

    /** Ground-truth mask of a defective image, or null when the set has none for it. */
    public Path maskOf(Path image) {
        String type = image.getParent().getFileName().toString();
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path mask = root.resolve("ground_truth").resolve(type).resolve(name.substring(0, dot) + "_mask.png");
        return Files.isRegularFile(mask) ? mask : null;
    }
}
