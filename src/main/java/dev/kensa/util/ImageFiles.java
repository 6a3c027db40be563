package dev.kensa.util;

import dev.kensa.KensaException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Image files in a folder, by extension, sorted by name so runs are reproducible. */
public final class ImageFiles {
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp");

    private ImageFiles() {
    }

    public static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1)) && Files.isRegularFile(p);
    }

    /** Files as given, folders expanded to the images directly in them; a path that does not exist is an error. */
    public static List<Path> expand(List<Path> paths) {
        List<Path> out = new java.util.ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                out.addAll(list(p, "image"));
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new KensaException("no such file: " + p);
            }
        }
        return out;
    }

    /** The images directly in {@code dir}; fails with a one-line reason if the folder is missing or has none. */
    public static List<Path> list(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new KensaException(what + " folder not found: " + dir);
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(ImageFiles::isImage).sorted().toList();
            if (files.isEmpty()) {
                throw new KensaException(what + " folder " + dir + " has no images (" + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            }
            return files;
        } catch (IOException e) {
            throw new KensaException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
