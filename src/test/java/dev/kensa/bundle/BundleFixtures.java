package dev.kensa.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.score.GaussianStats;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small synthetic bundles (grid 4x4, d=3) and the tampering the refusal tests need. */
final class BundleFixtures {
    static final int GRID_H = 4;
    static final int GRID_W = 4;
    static final int D = 3;
    static final int[] CHANNELS = {5, 17, 200};

    private BundleFixtures() {
    }

    /** Random but well-formed statistics: means around 0, factors with a positive diagonal. */
    static GaussianStats stats(long seed, int gridH, int gridW, int d) {
        return dev.kensa.testing.RandomGaussians.stats(seed, gridH, gridW, d);
    }

    static GaussianStats stats() {
        return stats(42, GRID_H, GRID_W, D);
    }

    static PipelineConfig pipeline() {
        return new PipelineConfig(
                new PipelineConfig.Image(256, 224),
                new PipelineConfig.Smoothing(4.0),
                new PipelineConfig.Threshold(new PipelineConfig.ImageThreshold(12.5, 0.01, "holdout(40 good)"),
                        new PipelineConfig.PixelThreshold(9.25)),
                new PipelineConfig.Regions(10, 1),
                new PipelineConfig.Heatmap(256, 80));
    }

    static byte[] png(int rgb) {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.setRGB(x, y, rgb + x * 16 + y);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static BundleDraft draft(Path work, GaussianStats stats) throws IOException {
        Path backbone = work.resolve("fake-backbone.onnx");
        if (!Files.exists(backbone)) {
            Files.write(backbone, "not really an onnx model, the reader only checksums it".getBytes(StandardCharsets.US_ASCII));
        }
        return new BundleDraft(
                "screw-test", "Screw, synthetic", "kensa 0.1.0-test", backbone,
                new Manifest.Input("input", 224, 224, new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, "RGB"),
                new PadimModel(List.of("layer1", "layer2", "layer3"), 448, CHANNELS.clone(), 7L, stats, 0.01),
                new Manifest.Training(20, "mvtec/screw/train/good", null),
                pipeline(),
                List.of(new BundleDraft.SelfTestDraft("good", png(0x203040), 3.5, 0.01),
                        new BundleDraft.SelfTestDraft("scratch.png", png(0x804020), 17.25, 0.02)));
    }

    static ModelBundle writeBundle(Path work, String name, GaussianStats stats) throws IOException {
        return BundleWriter.write(work.resolve(name), draft(work, stats));
    }

    static ObjectNode manifestTree(Path dir) throws IOException {
        return (ObjectNode) BundleJson.MAPPER.readTree(dir.resolve("manifest.json").toFile());
    }

    static void writeManifestTree(Path dir, ObjectNode tree) throws IOException {
        BundleJson.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("manifest.json").toFile(), tree);
    }

    /** After deliberately changing a file, put its new checksum in the manifest so the check under test is reached. */
    static void rehash(Path dir, String file) throws IOException {
        ObjectNode tree = manifestTree(dir);
        ((ObjectNode) tree.get("sha256")).put(file, Checksums.sha256Hex(Files.readAllBytes(dir.resolve(file))));
        writeManifestTree(dir, tree);
    }
}
