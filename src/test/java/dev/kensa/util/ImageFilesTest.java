package dev.kensa.util;

import dev.kensa.KensaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Folders given to fit, inspect and bench: searched recursively, in a fixed order, with limits. */
class ImageFilesTest {

    static Path touch(Path root, String rel) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[]{1});
        return p;
    }

    @Test
    void foldersAreSearchedRecursivelyNameByNameSkippingHiddenAndNonImages(@TempDir Path tmp) throws Exception {
        // created out of order: the listing must not depend on creation or directory order
        touch(tmp, "test/good/001.png");
        touch(tmp, "test/broken_large/000.png");
        touch(tmp, "test/good/000.png");
        touch(tmp, "test/broken-small/000.PNG");
        touch(tmp, "test/a.jpg");
        touch(tmp, "test/good/notes.txt");
        touch(tmp, "test/.cache/000.png");
        touch(tmp, "test/good/.hidden.png");
        List<String> got = ImageFiles.list(tmp.resolve("test"), "image").stream()
                .map(p -> tmp.resolve("test").relativize(p).toString()).toList();
        assertEquals(List.of("a.jpg", "broken-small/000.PNG", "broken_large/000.png", "good/000.png", "good/001.png"), got);
    }

    @Test
    void expandKeepsFilesAsGivenAndTheSameFileOnce(@TempDir Path tmp) throws Exception {
        Path a = touch(tmp, "d/x/1.png");
        Path b = touch(tmp, "d/2.png");
        Path txt = touch(tmp, "readme.txt");
        List<Path> got = ImageFiles.expand(List.of(txt, tmp.resolve("d"), a, tmp.resolve("d/./2.png")));
        assertEquals(List.of(txt, b, a), got);
        KensaException e = assertThrows(KensaException.class, () -> ImageFiles.expand(List.of(tmp.resolve("nope"))));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void aFolderWithoutImagesOrATooLargeTreeIsAOneLineError(@TempDir Path tmp) throws Exception {
        touch(tmp, "empty/sub/readme.txt");
        KensaException none = assertThrows(KensaException.class, () -> ImageFiles.list(tmp.resolve("empty"), "training"));
        assertTrue(none.getMessage().contains("has no images, also in its subfolders"), none.getMessage());
        for (int i = 0; i < 5; i++) {
            touch(tmp, "big/d" + i + "/" + i + ".png");
        }
        KensaException images = assertThrows(KensaException.class, () -> ImageFiles.list(tmp.resolve("big"), "image", 4, 100));
        assertTrue(images.getMessage().contains("holds more than 4 images: pass a narrower folder"), images.getMessage());
        KensaException entries = assertThrows(KensaException.class, () -> ImageFiles.list(tmp.resolve("big"), "image", 100, 6));
        assertTrue(entries.getMessage().contains("more than 6 files and folders"), entries.getMessage());
        assertEquals(5, ImageFiles.list(tmp.resolve("big"), "image", 5, 11).size());
    }
}
