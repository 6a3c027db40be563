package dev.kensa.bundle;

import dev.kensa.array.StatsFile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.score.GaussianStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleRefusalTest {
    @TempDir
    Path tmp;

    private Path bundle() throws IOException {
        return BundleFixtures.writeBundle(tmp, "b", BundleFixtures.stats()).dir();
    }

    private static String refusal(Path dirOrZip) {
        return assertThrows(BundleException.class, () -> BundleReader.read(dirOrZip)).getMessage();
    }

    private static String refusal(Path zip, SafeUnzip.Limits limits) {
        return assertThrows(BundleException.class, () -> BundleReader.read(zip, limits, null)).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected \"" + part + "\" in: " + message);
        }
        assertFalse(message.contains("\n"), "one line: " + message);
    }

    @Test
    void statsChecksumMismatch() throws IOException {
        Path dir = bundle();
        String expected = BundleFixtures.manifestTree(dir).get("sha256").get("stats.bin").asText();
        try (FileChannel ch = FileChannel.open(dir.resolve("stats.bin"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3}), 100);
        }
        String actual = Checksums.sha256Hex(Files.readAllBytes(dir.resolve("stats.bin")));
        assertEquals("bundle " + dir + ": stats.bin sha256 mismatch (manifest " + expected.substring(0, 12) + ".., file "
                + actual.substring(0, 12) + "..)", refusal(dir));
    }

    @Test
    void listedFileMissing() throws IOException {
        Path dir = bundle();
        Files.delete(dir.resolve("selftest/scratch.png"));
        assertEquals("bundle " + dir + ": selftest/scratch.png listed in manifest sha256 but missing", refusal(dir));
    }

    @Test
    void manifestMissingOrBroken() throws IOException {
        Path dir = bundle();
        Files.writeString(dir.resolve("manifest.json"), "{\"format\": \"kensa-bundle/1\", ");
        assertContains(refusal(dir), "bundle " + dir, "manifest.json is not valid", "line 1");
        Files.delete(dir.resolve("manifest.json"));
        assertEquals("bundle " + dir + ": manifest.json missing", refusal(dir));
        assertEquals("bundle " + tmp.resolve("nowhere") + ": no such directory or zip file", refusal(tmp.resolve("nowhere")));
    }

    @Test
    void wrongFormat() throws IOException {
        Path dir = bundle();
        ObjectNode m = BundleFixtures.manifestTree(dir);
        m.put("format", "kensa-bundle/2");
        BundleFixtures.writeManifestTree(dir, m);
        assertEquals("bundle " + dir + ": manifest format is \"kensa-bundle/2\", this build reads kensa-bundle/1", refusal(dir));
    }

    @Test
    void statsHeaderDimsDisagreeWithManifest() throws IOException {
        Path dir = bundle();
        // a well-formed stats file, but for d=2
        StatsFile.write(dir.resolve("stats.bin"), BundleFixtures.stats(9, 4, 4, 2));
        BundleFixtures.rehash(dir, "stats.bin");
        assertEquals("bundle " + dir + ": stats.bin: header says d=2 but manifest says d=3", refusal(dir));
    }

    @Test
    void truncatedStatsFile() throws IOException {
        Path dir = bundle();
        Path stats = dir.resolve("stats.bin");
        long size = Files.size(stats);
        try (FileChannel ch = FileChannel.open(stats, StandardOpenOption.WRITE)) {
            ch.truncate(size - 4);
        }
        assertContains(refusal(dir), "stats.bin sha256 mismatch");
        BundleFixtures.rehash(dir, "stats.bin");
        assertEquals("bundle " + dir + ": stats.bin: " + (size - 4) + " bytes, expected " + size + " for float32 d=3 P=16",
                refusal(dir));
    }

    @Test
    void referencedFileWithoutChecksum() throws IOException {
        Path dir = bundle();
        ObjectNode m = BundleFixtures.manifestTree(dir);
        ((ObjectNode) m.get("sha256")).remove("pipeline.json");
        BundleFixtures.writeManifestTree(dir, m);
        assertEquals("bundle " + dir + ": \"pipeline.json\" (the pipeline) has no sha256 in the manifest", refusal(dir));
    }

    @Test
    void manifestPathEscapingTheBundle() throws IOException {
        Path dir = bundle();
        ObjectNode m = BundleFixtures.manifestTree(dir);
        ((ObjectNode) m.get("sha256")).put("../outside.bin", "00".repeat(32));
        BundleFixtures.writeManifestTree(dir, m);
        assertContains(refusal(dir), "\"../outside.bin\"", "\"..\" in path");
    }

    @Test
    void channelsNotAscending() throws IOException {
        Path dir = bundle();
        ObjectNode m = BundleFixtures.manifestTree(dir);
        ArrayNode ch = (ArrayNode) m.get("embedding").get("channels");
        ch.set(1, 200);
        ch.set(2, 17);
        BundleFixtures.writeManifestTree(dir, m);
        assertContains(refusal(dir), "embedding.channels must be ascending and distinct", "[1] = 200 and [2] = 17");

        ch.set(1, 17);
        ch.set(2, 448);
        BundleFixtures.writeManifestTree(dir, m);
        assertContains(refusal(dir), "embedding.channels[2] = 448 is outside 0..447");
    }

    @Test
    void gridDisagreesWithPositions() throws IOException {
        Path dir = bundle();
        ObjectNode m = BundleFixtures.manifestTree(dir);
        ((ArrayNode) m.get("embedding").get("grid")).set(0, 5);
        BundleFixtures.writeManifestTree(dir, m);
        assertContains(refusal(dir), "stats.positions=16 but embedding.grid 5x4 = 20");
    }

    @Test
    void imageThresholdMustBePositive() throws IOException {
        Path dir = bundle();
        ObjectNode p = (ObjectNode) BundleJson.MAPPER.readTree(dir.resolve("pipeline.json").toFile());
        ((ObjectNode) p.get("threshold").get("image")).put("value", 0.0);
        BundleJson.MAPPER.writeValue(dir.resolve("pipeline.json").toFile(), p);
        BundleFixtures.rehash(dir, "pipeline.json");
        assertContains(refusal(dir), "pipeline.json threshold.image.value is 0.0, must be positive and finite");
    }

    @Test
    void nonEmptyOutputDirectory() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("old.txt"), "left over");
        BundleDraft draft = BundleFixtures.draft(tmp, BundleFixtures.stats());
        BundleException e = assertThrows(BundleException.class, () -> BundleWriter.write(out, draft));
        assertEquals("bundle " + out + ": output directory is not empty", e.getMessage());
        assertEquals("left over", Files.readString(out.resolve("old.txt")));
    }

    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        GaussianStats stats = BundleFixtures.stats();
        BundleDraft good = BundleFixtures.draft(tmp, stats);
        // caught only by the read-back: sourceChannels too small for channel 200
        PadimModel model = (PadimModel) good.model();
        BundleDraft bad = new BundleDraft(good.id(), good.name(), good.producerVersion(), good.backboneSource(), good.input(),
                new PadimModel(model.layers(), 100, model.channels(), model.seed(), stats, model.eps()), good.training(),
                good.pipeline(), good.selfTests());
        Path out = tmp.resolve("bad");
        BundleException e = assertThrows(BundleException.class, () -> BundleWriter.write(out, bad));
        assertContains(e.getMessage(), "embedding.channels[2] = 200 is outside 0..99");
        assertFalse(Files.exists(out));
    }

    // ---------------------------------------------------------------- zips

    private static void writeZip(Path zip, String... namesAndContents) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                out.putNextEntry(new ZipEntry(namesAndContents[i]));
                out.write(namesAndContents[i + 1].getBytes());
                out.closeEntry();
            }
        }
    }

    @Test
    void zipSlip() throws IOException {
        Path zip = tmp.resolve("slip.zip");
        writeZip(zip, "manifest.json", "{}", "../evil", "owned");
        assertEquals("bundle " + zip + ": zip entry \"../evil\" refused: \"..\" in path", refusal(zip));

        Path dest = tmp.resolve("dest");
        BundleException e = assertThrows(BundleException.class, () -> SafeUnzip.extract(zip, dest));
        assertContains(e.getMessage(), "\"../evil\" refused");
        assertFalse(Files.exists(dest), "a refused unzip leaves nothing behind");
        assertFalse(Files.exists(tmp.resolve("evil")));

        writeZip(zip, "selftest/../../evil", "owned");
        assertContains(refusal(zip), "\"selftest/../../evil\" refused", "\"..\" in path");

        writeZip(zip, "/etc/evil", "owned");
        assertContains(refusal(zip), "\"/etc/evil\" refused: absolute path");

        writeZip(zip, "selftest\\..\\evil", "owned");
        assertContains(refusal(zip), "refused: backslash in path");
    }

    @Test
    void zipSymlinkEntry() throws IOException {
        Path zip = tmp.resolve("link.zip");
        writeZip(zip, "backbone.onnx", "/etc/passwd");
        // mark the entry as a Unix symlink in the central directory, the way `zip --symlinks` does
        byte[] bytes = Files.readAllBytes(zip);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int cd = -1;
        for (int i = 0; i < bytes.length - 4; i++) {
            if (b.getInt(i) == 0x02014b50) {
                cd = i;
                break;
            }
        }
        assertTrue(cd > 0);
        b.putShort(cd + 4, (short) (3 << 8 | 20));
        b.putInt(cd + 38, 0120777 << 16);
        Files.write(zip, bytes);
        assertEquals("bundle " + zip + ": zip entry \"backbone.onnx\" is a symlink", refusal(zip));
    }

    @Test
    void zipWithTooManyEntries() throws IOException {
        Path zip = tmp.resolve("many.zip");
        String[] entries = new String[12];
        for (int i = 0; i < 6; i++) {
            entries[2 * i] = "f" + i;
            entries[2 * i + 1] = "x";
        }
        writeZip(zip, entries);
        assertEquals("bundle " + zip + ": zip has 6 entries, more than 5", refusal(zip, new SafeUnzip.Limits(5, 1 << 20)));
    }

    @Test
    void zipExpandingPastTheSizeLimit() throws IOException {
        Path zip = tmp.resolve("bomb.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("stats.bin"));
            byte[] zeros = new byte[1 << 16];
            for (int i = 0; i < 64; i++) { // 4 MiB of zeros, a few kB compressed
                out.write(zeros);
            }
            out.closeEntry();
        }
        assertTrue(Files.size(zip) < 64 * 1024);
        assertEquals("bundle " + zip + ": zip expands to more than 1000000 bytes",
                refusal(zip, new SafeUnzip.Limits(1000, 1_000_000)));
    }

    @Test
    void zipLimitCountsAllEntriesTogether() throws IOException {
        Path dir = bundle();
        Path zip = tmp.resolve("b.zip");
        BundleWriter.zip(dir, zip);
        long total;
        try (var s = Files.walk(dir)) {
            total = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        // every file fits alone, together they do not
        assertContains(refusal(zip, new SafeUnzip.Limits(1000, total - 1)), "zip expands to more than");
        BundleReader.read(zip, new SafeUnzip.Limits(1000, total), null);
    }

    @Test
    void truncatedZip() throws IOException {
        Path dir = bundle();
        Path zip = tmp.resolve("b.zip");
        BundleWriter.zip(dir, zip);
        byte[] bytes = Files.readAllBytes(zip);
        Path cut = tmp.resolve("cut.zip");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        assertEquals("bundle " + cut + ": not a zip or truncated (no end-of-central-directory record)", refusal(cut));

        try (OutputStream out = Files.newOutputStream(tmp.resolve("empty.zip"))) {
            out.write(new byte[0]);
        }
        assertContains(refusal(tmp.resolve("empty.zip")), "not a zip or truncated");
    }

    @Test
    void zipWithoutManifest() throws IOException {
        Path zip = tmp.resolve("nomanifest.zip");
        writeZip(zip, "stats.bin", "x");
        assertEquals("bundle " + zip + ": manifest.json missing", refusal(zip));
    }
}
