package dev.kensa.bundle;

import dev.kensa.calibration.CalibrationRecord;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kensa.method.MethodManifest;
import dev.kensa.util.FileTrees;
import dev.kensa.util.Staging;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a {@code kensa-bundle/1} directory from a {@link BundleDraft} (../shared/DESIGN.md §5), and packs a bundle
 * directory into a zip.
 */
public final class BundleWriter {
    public static final String BACKBONE = "backbone.onnx";
    public static final String SELFTEST_DIR = "selftest/";

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private BundleWriter() {
    }

    /**
     * Refuses an output that exists and is not an empty folder ({@code NAME.zip} also checks the folder {@code NAME}
     * it is made from); call before any costly work.
     */
    public static void checkOutput(Path output) {
        Staging.checkFree(output);
        Path dir = zipFolder(output);
        if (dir != null) {
            Staging.checkFree(dir);
        }
    }

    /**
     * Writes the bundle at {@code output}, a folder, or a folder and its zip when the name ends in {@code .zip}
     * ({@code bundles/a.zip} gives {@code bundles/a/} and {@code bundles/a.zip}), and returns the folder's bundle. It
     * is written beside its destination and renamed into place ({@link Staging}), so a refusal or a kill leaves
     * nothing under the output's name.
     */
    public static ModelBundle create(Path output, BundleDraft draft) {
        Path zip = zipFolder(output) != null ? output : null;
        Path target = zip != null ? zipFolder(output) : output;
        checkOutput(output);
        try (Staging staging = Staging.beside(target)) {
            ModelBundle written = write(staging.dir(), draft);
            if (zip != null) {
                zip(staging.dir(), zip);
            }
            try {
                return written.movedTo(staging.commit());
            } catch (RuntimeException e) {
                if (zip != null) {
                    FileTrees.deleteQuietly(zip);
                }
                throw e;
            }
        }
    }

    /** The folder a {@code NAME.zip} output is made from, or null when the output is no zip. */
    private static Path zipFolder(Path output) {
        String file = output.getFileName() == null ? "" : output.getFileName().toString();
        return file.endsWith(".zip") ? output.resolveSibling(file.substring(0, file.length() - 4)) : null;
    }

    /**
     * Writes the bundle into {@code outDir} (created if missing; refused if it exists and is not empty) and returns
     * it read back through {@link BundleReader}, so a bundle that would be refused at load is refused here. The
     * manifest is written last: a directory without manifest.json is an unfinished bundle. On failure the files
     * written so far are removed.
     */
    public static ModelBundle write(Path outDir, BundleDraft draft) {
        String where = "bundle " + outDir;
        checkDraft(draft, where);
        boolean created = prepareEmptyDir(outDir, where);
        try {
            List<String> files = new ArrayList<>();

            Files.copy(draft.backboneSource(), outDir.resolve(BACKBONE));
            files.add(BACKBONE);

            MethodManifest method = draft.model().write(outDir);
            files.addAll(method.files());

            Files.write(outDir.resolve(BundleReader.PIPELINE), prettyJson(draft.pipeline()), StandardOpenOption.CREATE_NEW);
            files.add(BundleReader.PIPELINE);

            if (draft.calibration() != null) {
                Files.write(outDir.resolve(CalibrationRecord.FILE), draft.calibration().toJson(), StandardOpenOption.CREATE_NEW);
                files.add(CalibrationRecord.FILE);
            }

            List<Manifest.SelfTest> selfTests = new ArrayList<>();
            for (BundleDraft.SelfTestDraft t : selfTests(draft)) {
                String file = SELFTEST_DIR + selfTestFileName(t.fileName());
                Files.createDirectories(outDir.resolve(SELFTEST_DIR));
                Files.write(outDir.resolve(file), t.png(), StandardOpenOption.CREATE_NEW);
                files.add(file);
                selfTests.add(new Manifest.SelfTest(file, t.expectedScore(), t.tolerance()));
            }
            // checksums of the bytes as they landed on disk, not of what we meant to write
            Map<String, String> sha256 = new TreeMap<>();
            for (String file : files) {
                sha256.put(file, Checksums.sha256Hex(outDir.resolve(file), where));
            }

            Manifest.Training training = draft.training() == null ? null
                    : new Manifest.Training(draft.training().images(), draft.training().source(), method.eps());
            Manifest manifest = new Manifest(
                    Manifest.FORMAT,
                    draft.id(),
                    draft.name(),
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    draft.producerVersion(),
                    draft.model().method().name(),
                    sha256,
                    new Manifest.Backbone(BACKBONE, draft.input(), List.copyOf(draft.model().layers())),
                    method.sections().get("embedding"),
                    method.sections().get("stats"),
                    method.sections().get("model"),
                    training,
                    draft.imported(),
                    selfTests);
            Files.write(outDir.resolve(BundleReader.MANIFEST), prettyJson(manifest), StandardOpenOption.CREATE_NEW);
            return BundleReader.read(outDir);
        } catch (IOException | RuntimeException e) {
            clear(outDir, created);
            if (e instanceof BundleException be) {
                throw be;
            }
            throw new BundleException(where + ": cannot write (" + e + ")", e);
        }
    }

    /**
     * Verifies the bundle in {@code bundleDir} and packs it into {@code zipFile} (refused if it exists): manifest.json,
     * manifest.sig when present, and exactly the files the manifest checksums, nothing else lying in the directory.
     */
    public static void zip(Path bundleDir, Path zipFile) {
        String where = "bundle " + bundleDir;
        if (!Files.isDirectory(bundleDir)) {
            throw new BundleException(where + ": not a bundle directory");
        }
        if (Files.exists(zipFile)) {
            throw new BundleException("zip " + zipFile + ": already exists");
        }
        ModelBundle bundle = BundleReader.read(bundleDir);
        List<String> names = new ArrayList<>();
        names.add(BundleReader.MANIFEST);
        if (Files.isRegularFile(bundleDir.resolve("manifest.sig"))) {
            names.add("manifest.sig");
        }
        names.addAll(new TreeMap<>(bundle.manifest().sha256()).keySet());

        Path absolute = zipFile.toAbsolutePath();
        Path part = absolute.resolveSibling(absolute.getFileName() + ".part");
        try {
            try (OutputStream file = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(file, 1 << 16))) {
                for (String name : names) {
                    zip.putNextEntry(new ZipEntry(name));
                    Files.copy(bundleDir.resolve(name), zip);
                    zip.closeEntry();
                }
            }
            try {
                Files.move(part, zipFile, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, zipFile);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // the refusal below is what matters
            }
            throw new BundleException("zip " + zipFile + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** Cheap checks before anything is written; the read-back after writing checks the rest. */
    private static void checkDraft(BundleDraft d, String where) {
        require(d != null, where, "no draft");
        require(d.id() != null && !d.id().isBlank(), where, "draft has no id");
        require(d.backboneSource() != null && Files.isRegularFile(d.backboneSource()), where,
                "backbone " + d.backboneSource() + " is not a file");
        require(d.input() != null, where, "draft has no backbone input");
        require(d.model() != null, where, "draft has no model");
        require(!d.model().layers().isEmpty(), where, "draft model uses no backbone outputs");
        require(d.pipeline() != null, where, "draft has no pipeline");
        require(d.calibration() == null || d.pipeline().threshold() != null && d.pipeline().threshold().image() != null
                && d.calibration().threshold() == d.pipeline().threshold().image().value(), where,
                "calibration.json threshold is not the pipeline's image threshold");
        Set<String> names = new HashSet<>();
        for (BundleDraft.SelfTestDraft t : selfTests(d)) {
            require(t != null && t.fileName() != null, where, "self-test without a file name");
            String name = selfTestFileName(t.fileName());
            require(!name.contains("/") && SafeUnzip.unsafeName(name) == null, where,
                    "self-test file name " + t.fileName() + " must be a plain file name");
            require(names.add(name), where, "self-test " + name + " given twice");
            require(isPng(t.png()), where, "self-test " + name + " is not a PNG image");
        }
    }

    private static List<BundleDraft.SelfTestDraft> selfTests(BundleDraft d) {
        return d.selfTests() == null ? List.of() : d.selfTests();
    }

    private static String selfTestFileName(String fileName) {
        return fileName.toLowerCase().endsWith(".png") ? fileName : fileName + ".png";
    }

    private static boolean isPng(byte[] bytes) {
        if (bytes == null || bytes.length < PNG_SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (bytes[i] != PNG_SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] prettyJson(Object value) throws JsonProcessingException {
        String json = BundleJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** @return whether the directory was created here (and so is removed again on failure) */
    private static boolean prepareEmptyDir(Path outDir, String where) {
        try {
            if (Files.exists(outDir)) {
                if (!Files.isDirectory(outDir)) {
                    throw new BundleException(where + ": output path exists and is not a directory");
                }
                try (Stream<Path> s = Files.list(outDir)) {
                    if (s.findAny().isPresent()) {
                        throw new BundleException(where + ": output directory is not empty");
                    }
                }
                return false;
            }
            Files.createDirectories(outDir);
            return true;
        } catch (IOException e) {
            throw new BundleException(where + ": cannot create output directory (" + e.getMessage() + ")", e);
        }
    }

    /** Removes what a failed write left; the directory was empty (or absent) before, so everything in it is ours. */
    private static void clear(Path outDir, boolean created) {
        if (created) {
            FileTrees.deleteQuietly(outDir);
            return;
        }
        try (Stream<Path> s = Files.list(outDir)) {
            s.forEach(FileTrees::deleteQuietly);
        } catch (IOException ignored) {
            // best effort; the refusal is what the caller needs
        }
    }

    private static void require(boolean ok, String where, String problem) {
        if (!ok) {
            throw new BundleException(where + ": " + problem);
        }
    }
}
