package dev.kensa.util;

import dev.kensa.KensaException;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Image files in a folder tree, by extension. Folders are searched recursively (so {@code bottle/test} finds
 * {@code test/good/*.png} and {@code test/broken_large/*.png}), in a reproducible order: name by name along the
 * path, so a folder's files and subfolders interleave alphabetically whatever the file system's listing order.
 * Hidden entries (a leading dot) and symbolic links to folders are skipped (links to files are followed); a tree larger than
 * {@link #MAX_IMAGES} images or {@link #MAX_ENTRIES} entries is refused with a one-line reason rather than walked
 * for minutes (e.g. a mistyped {@code /}).
 */
public final class ImageFiles {
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp");
    /** More images than any fit, eval or inspection run needs at once. */
    public static final int MAX_IMAGES = 200_000;
    /** Entries visited (files and folders) before a walk gives up. */
    public static final int MAX_ENTRIES = 1_000_000;

    /** Path order by name element: {@code a/b.png} before {@code a-c/x.png} before {@code ab/y.png}. */
    public static final Comparator<Path> TREE_ORDER = (x, y) -> {
        int n = Math.min(x.getNameCount(), y.getNameCount());
        for (int i = 0; i < n; i++) {
            int c = x.getName(i).toString().compareTo(y.getName(i).toString());
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.getNameCount(), y.getNameCount());
    };

    private ImageFiles() {
    }

    public static boolean isImage(Path p) {
        return hasImageExtension(p) && Files.isRegularFile(p);
    }

    private static boolean hasImageExtension(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1));
    }

    /**
     * Files as given (any extension: a non-image becomes an ERROR result, not a silent skip), folders expanded to
     * the images anywhere below them; the same file named twice is kept once. A path that does not exist, or a
     * folder with no images, is an error.
     */
    public static List<Path> expand(List<Path> paths) {
        List<Path> out = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                for (Path f : list(p, "image")) {
                    if (seen.add(f.toAbsolutePath().normalize())) {
                        out.add(f);
                    }
                }
            } else if (Files.isRegularFile(p)) {
                if (seen.add(p.toAbsolutePath().normalize())) {
                    out.add(p);
                }
            } else {
                throw new KensaException("no such file: " + p);
            }
        }
        if (out.size() > MAX_IMAGES) {
            throw new KensaException(out.size() + " images given, more than " + MAX_IMAGES + " in one run: pass fewer folders");
        }
        return List.copyOf(out);
    }

    /**
     * The images anywhere below {@code dir}, in {@link #TREE_ORDER}; fails with a one-line reason if the folder is
     * missing, has none, or is too large a tree.
     */
    public static List<Path> list(Path dir, String what) {
        return list(dir, what, MAX_IMAGES, MAX_ENTRIES);
    }

    static List<Path> list(Path dir, String what, int maxImages, int maxEntries) {
        if (!Files.isDirectory(dir)) {
            throw new KensaException(what + " folder not found: " + dir);
        }
        List<Path> files = new ArrayList<>();
        int[] entries = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    count();
                    return !d.equals(dir) && hidden(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    count();
                    boolean file = attrs.isRegularFile() || attrs.isSymbolicLink() && Files.isRegularFile(f);
                    if (file && !hidden(f) && hasImageExtension(f)) {
                        files.add(f);
                        if (files.size() > maxImages) {
                            throw new KensaException(what + " folder " + dir + " holds more than " + maxImages
                                    + " images: pass a narrower folder");
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    if (f.equals(dir)) {
                        throw e;
                    }
                    return FileVisitResult.CONTINUE; // an unreadable subfolder: its images are not ours to read
                }

                private void count() {
                    if (++entries[0] > maxEntries) {
                        throw new KensaException(what + " folder " + dir + " is a tree of more than " + maxEntries
                                + " files and folders: pass the folder that holds the images");
                    }
                }
            });
        } catch (IOException e) {
            throw new KensaException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new KensaException(what + " folder " + dir + " has no images, also in its subfolders ("
                    + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
        }
        files.sort(Comparator.comparing(dir::relativize, TREE_ORDER));
        return files;
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }
}
