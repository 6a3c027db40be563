package dev.kensa.bundle;

import dev.kensa.method.padim.PadimModel;
import dev.kensa.score.GaussianStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void float32DirectoryRoundTrip() throws IOException {
        GaussianStats stats = BundleFixtures.stats();
        ModelBundle bundle = BundleFixtures.writeBundle(tmp, "b32", stats);

        Path dir = tmp.resolve("b32");
        assertEquals(dir, bundle.dir());
        assertEquals(dir, bundle.source());
        Manifest m = bundle.manifest();
        assertEquals("kensa-bundle/1", m.format());
        assertEquals("screw-test", m.id());
        assertEquals("Screw, synthetic", m.name());
        assertEquals("kensa 0.1.0-test", m.producerVersion());
        Instant.parse(m.created());
        assertEquals(Set.of("backbone.onnx", "stats.bin", "pipeline.json", "selftest/good.png", "selftest/scratch.png"),
                m.sha256().keySet());
        assertEquals("float32", m.stats().get("dtype").asText());
        assertEquals(3, m.stats().get("d").asInt());
        assertEquals(16, m.stats().get("positions").asInt());
        assertEquals(7L, m.embedding().get("seed").asLong());
        assertEquals(448, m.embedding().get("sourceChannels").asInt());
        assertEquals("RGB", m.backbone().input().channelOrder());
        assertArrayEquals(new float[]{0.229f, 0.224f, 0.225f}, m.backbone().input().std());

        assertArrayEquals(BundleFixtures.CHANNELS, ((PadimModel) bundle.model()).channels());
        assertEquals(dir.resolve("backbone.onnx"), bundle.backbonePath());
        assertEquals(Files.readString(tmp.resolve("fake-backbone.onnx")), Files.readString(bundle.backbonePath()));
        assertEquals(Checksums.sha256Hex(Files.readAllBytes(dir.resolve("manifest.json"))), bundle.sha256());
        assertEquals(12.5, bundle.imageThreshold());
        assertEquals(9.25, bundle.pipeline().threshold().pixel().value());
        assertEquals(BundleFixtures.pipeline(), bundle.pipeline());

        assertEquals(GaussianStats.Dtype.FLOAT32, ((PadimModel) bundle.model()).stats().dtype());
        assertArrayEquals(stats.mean(), ((PadimModel) bundle.model()).stats().mean());
        assertArrayEquals(stats.factor32(), ((PadimModel) bundle.model()).stats().factor32());

        assertEquals(2, bundle.selfTests().size());
        ModelBundle.SelfTestImage good = bundle.selfTests().get(0);
        assertEquals(dir.resolve("selftest/good.png"), good.file());
        assertEquals(3.5, good.expectedScore());
        assertEquals(0.01, good.tolerance());
        assertArrayEquals(BundleFixtures.png(0x203040), Files.readAllBytes(good.file()));

        // reading again gives the same identity
        assertEquals(bundle.sha256(), BundleReader.read(dir).sha256());
        assertEquals("screw-test", BundleReader.readManifest(dir).id());
    }

    @Test
    void float16DirectoryRoundTrip() throws IOException {
        GaussianStats stats = BundleFixtures.stats().toFloat16();
        ModelBundle bundle = BundleFixtures.writeBundle(tmp, "b16", stats);

        assertEquals("float16", bundle.manifest().stats().get("dtype").asText());
        assertEquals(GaussianStats.Dtype.FLOAT16, ((PadimModel) bundle.model()).stats().dtype());
        assertArrayEquals(stats.mean(), ((PadimModel) bundle.model()).stats().mean());
        assertArrayEquals(stats.factor16(), ((PadimModel) bundle.model()).stats().factor16());
        assertEquals(64 + 4L * 16 * 3 + 2L * 16 * 6, Files.size(bundle.dir().resolve("stats.bin")));
    }

    @Test
    void zipRoundTripKeepsIdentity() throws IOException {
        GaussianStats stats = BundleFixtures.stats().toFloat16();
        ModelBundle dirBundle = BundleFixtures.writeBundle(tmp, "b", stats);
        Files.writeString(tmp.resolve("b/notes.txt"), "a stray file that is not part of the bundle");
        Path zip = tmp.resolve("b.zip");
        BundleWriter.zip(dirBundle.dir(), zip);

        Set<String> names = new TreeSet<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            z.stream().forEach(e -> names.add(e.getName()));
        }
        assertEquals(Set.of("manifest.json", "backbone.onnx", "stats.bin", "pipeline.json", "selftest/good.png",
                "selftest/scratch.png"), names);

        ModelBundle zipped = BundleReader.read(zip);
        assertEquals(zip, zipped.source());
        assertNotEquals(dirBundle.dir(), zipped.dir());
        assertTrue(Files.isRegularFile(zipped.backbonePath()));
        assertEquals(dirBundle.sha256(), zipped.sha256());
        assertArrayEquals(stats.mean(), ((PadimModel) zipped.model()).stats().mean());
        assertArrayEquals(stats.factor16(), ((PadimModel) zipped.model()).stats().factor16());
        assertEquals(zipped.dir().resolve("selftest/scratch.png"), zipped.selfTests().get(1).file());
        assertTrue(Files.isRegularFile(zipped.selfTests().get(1).file()));
        assertEquals("screw-test", BundleReader.readManifest(zip).id());

        BundleException e = org.junit.jupiter.api.Assertions.assertThrows(BundleException.class,
                () -> BundleWriter.zip(dirBundle.dir(), zip));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    }

    @Test
    void unzipIntoAChosenDirectory() throws IOException {
        ModelBundle b = BundleFixtures.writeBundle(tmp, "b", BundleFixtures.stats());
        Path zip = tmp.resolve("b.zip");
        BundleWriter.zip(b.dir(), zip);
        Path store = tmp.resolve("store/screw");
        SafeUnzip.extract(zip, store);
        assertEquals(b.sha256(), BundleReader.read(store).sha256());
        assertFalse(Files.exists(tmp.resolve("store/screw/notes.txt")));
    }
}
