package dev.kensa.bundle;

import dev.kensa.method.BundleFiles;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.method.MethodModel;
import dev.kensa.method.Methods;
import dev.kensa.util.FileTrees;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads and verifies a {@code kensa-bundle/1} model bundle, a directory or the same as a .zip (models/FORMAT.md):
 * signature (when a key is given), manifest, checksums of every listed file ({@link Checksums}), the method's own
 * part ({@link dev.kensa.method.DetectionMethod#read}), pipeline and self-tests. Nothing of a bundle is used before
 * every file matched its sha256 and its parts agreed with each other; every refusal is a {@link BundleException}
 * naming the bundle. Zips are extracted by {@link SafeUnzip}.
 */
public final class BundleReader {
    public static final String MANIFEST = "manifest.json";
    public static final String PIPELINE = "pipeline.json";

    private BundleReader() {
    }

    /** Reads and verifies the bundle in directory {@code dirOrZip}, or in the .zip file {@code dirOrZip}. */
    public static ModelBundle read(Path dirOrZip) {
        return read(dirOrZip, SafeUnzip.Limits.DEFAULT, null);
    }

    /**
     * Reads and verifies a bundle whose {@code manifest.sig} must be a valid Ed25519 signature by {@code publicKey}
     * (null: signatures are not required; a box configured with a key refuses unsigned and badly signed bundles).
     */
    public static ModelBundle read(Path dirOrZip, PublicKey publicKey) {
        return read(dirOrZip, SafeUnzip.Limits.DEFAULT, publicKey);
    }

    static ModelBundle read(Path dirOrZip, SafeUnzip.Limits limits, PublicKey publicKey) {
        if (Files.isDirectory(dirOrZip)) {
            return readDir(dirOrZip, dirOrZip, publicKey);
        }
        if (!Files.isRegularFile(dirOrZip)) {
            throw new BundleException("bundle " + dirOrZip + ": no such directory or zip file");
        }
        Path tmp;
        try {
            tmp = Files.createTempDirectory("kensa-bundle-");
        } catch (IOException e) {
            throw new BundleException("bundle " + dirOrZip + ": cannot create a directory to extract into (" + e.getMessage() + ")", e);
        }
        try {
            SafeUnzip.extract(dirOrZip, tmp, limits);
            ModelBundle bundle = readDir(dirOrZip, tmp, publicKey);
            TempDirs.deleteAtExit(tmp);
            return bundle;
        } catch (RuntimeException e) {
            FileTrees.deleteQuietly(tmp);
            throw e;
        }
    }

    /**
     * The pipeline of a bundle directory the box already verified (its model store), parsed and checked as at a load
     * but nothing else read: what a stored bundle's threshold is, without loading it.
     */
    public static PipelineConfig readPipeline(Path dir) {
        return readPipeline(dir, "bundle " + dir);
    }

    private static PipelineConfig readPipeline(Path dir, String where) {
        PipelineConfig pipeline = BundleJson.parse(BundleJson.readBytes(dir.resolve(PIPELINE), where, PIPELINE),
                PipelineConfig.class, where, PIPELINE);
        BundleValidation.checkPipeline(pipeline, where);
        return pipeline.withDefaults();
    }

    /** Parses manifest.json of a bundle directory or zip, checking nothing else (for {@code bundle info}). */
    public static Manifest readManifest(Path dirOrZip) {
        String where = "bundle " + dirOrZip;
        byte[] bytes;
        if (Files.isDirectory(dirOrZip)) {
            bytes = BundleJson.readBytes(dirOrZip.resolve(MANIFEST), where, MANIFEST);
        } else if (Files.isRegularFile(dirOrZip)) {
            try (ZipFile zip = new ZipFile(dirOrZip.toFile())) {
                ZipEntry entry = zip.getEntry(MANIFEST);
                if (entry == null || entry.isDirectory()) {
                    throw new BundleException(where + ": " + MANIFEST + " missing");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readNBytes((int) BundleJson.MAX_JSON_BYTES + 1);
                }
            } catch (ZipException e) {
                throw new BundleException(where + ": not a readable zip (" + e.getMessage() + ")", e);
            } catch (IOException e) {
                throw new BundleException(where + ": cannot read " + MANIFEST + " (" + e.getMessage() + ")", e);
            }
            if (bytes.length > BundleJson.MAX_JSON_BYTES) {
                throw new BundleException(where + ": " + MANIFEST + " is larger than " + BundleJson.MAX_JSON_BYTES + " bytes");
            }
        } else {
            throw new BundleException(where + ": no such directory or zip file");
        }
        return BundleJson.parse(bytes, Manifest.class, where, MANIFEST);
    }

    private static ModelBundle readDir(Path source, Path dir, PublicKey publicKey) {
        String where = "bundle " + source;
        byte[] manifestBytes = BundleJson.readBytes(dir.resolve(MANIFEST), where, MANIFEST);
        if (publicKey != null) {
            // the signature first: nothing of an unsigned or forged bundle is interpreted
            BundleSignature.verify(dir, manifestBytes, publicKey, where);
        }
        String identity = Checksums.sha256Hex(manifestBytes);
        Manifest manifest = BundleJson.parse(manifestBytes, Manifest.class, where, MANIFEST);
        BundleValidation.checkManifest(manifest, where);
        Checksums.verifyListed(dir, manifest, where);

        MethodModel model = Methods.byName(manifest.method()).read(new BundleFiles(dir, manifest, where));
        if (!model.layers().equals(manifest.backbone().outputs())) {
            throw new BundleException(where + ": the method's layers " + model.layers() + " are not the backbone outputs "
                    + manifest.backbone().outputs());
        }
        PipelineConfig pipeline = BundleJson.parse(BundleJson.readBytes(dir.resolve(PIPELINE), where, PIPELINE),
                PipelineConfig.class, where, PIPELINE);
        BundleValidation.checkPipeline(pipeline, where);

        List<ModelBundle.SelfTestImage> selfTests = new ArrayList<>();
        for (Manifest.SelfTest t : BundleValidation.selfTests(manifest)) {
            selfTests.add(new ModelBundle.SelfTestImage(dir.resolve(t.file()), t.expectedScore(), t.tolerance()));
        }
        return new ModelBundle(source, dir, manifest, identity, pipeline.withDefaults(), model, selfTests,
                calibration(dir, manifest, where));
    }

    /**
     * The bundle's calibration record when its manifest lists one (checksummed like every listed file); null for
     * bundles written before it existed, which still load.
     */
    private static CalibrationRecord calibration(Path dir, Manifest manifest, String where) {
        if (manifest.sha256() == null || !manifest.sha256().containsKey(CalibrationRecord.FILE)) {
            return null;
        }
        try {
            return CalibrationRecord.parse(BundleJson.readBytes(dir.resolve(CalibrationRecord.FILE), where,
                    CalibrationRecord.FILE), where + ": " + CalibrationRecord.FILE);
        } catch (dev.kensa.KensaException e) {
            throw new BundleException(e.getMessage(), e);
        }
    }

    /** Directories zips were extracted into, removed when the JVM exits (the bundle's files are in use until then). */
    private static final class TempDirs {
        private static final Set<Path> DIRS = Collections.synchronizedSet(new LinkedHashSet<>());

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                synchronized (DIRS) {
                    DIRS.forEach(FileTrees::deleteQuietly);
                }
            }, "kensa-bundle-cleanup"));
        }

        static void deleteAtExit(Path dir) {
            DIRS.add(dir);
        }
    }
}
