package dev.kensa.bundle;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.score.GaussianStats;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads and verifies a {@code kensa-bundle/1} model bundle, a directory or the same as a .zip (models/FORMAT.md).
 * Nothing of a bundle is used before every file listed in the manifest matched its sha256 and the statistics,
 * embedding and pipeline agreed with each other; every refusal is a {@link BundleException} naming the bundle.
 */
public final class BundleReader {
    public static final String MANIFEST = "manifest.json";
    public static final String PIPELINE = "pipeline.json";

    /** One mapper for the package: records bind by their component names; unknown fields are ignored for forward compatibility. */
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A manifest is a few kB; anything far larger is not one and is not read into memory. */
    private static final long MAX_JSON_BYTES = 16L << 20;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** How much a bundle zip may hold, counted while extracting (header sizes are not trusted). */
    record ZipLimits(int maxEntries, long maxBytes) {
        static final ZipLimits DEFAULT = new ZipLimits(1000, 1L << 30);
    }

    private BundleReader() {
    }

    /** Reads and verifies the bundle in directory {@code dirOrZip}, or in the .zip file {@code dirOrZip}. */
    public static ModelBundle read(Path dirOrZip) {
        return read(dirOrZip, ZipLimits.DEFAULT, null);
    }

    /**
     * Reads and verifies a bundle whose {@code manifest.sig} must be a valid Ed25519 signature by {@code publicKey}
     * (null: signatures are not required; a box configured with a key refuses unsigned and badly signed bundles).
     */
    public static ModelBundle read(Path dirOrZip, java.security.PublicKey publicKey) {
        return read(dirOrZip, ZipLimits.DEFAULT, publicKey);
    }

    static ModelBundle read(Path dirOrZip, ZipLimits limits) {
        return read(dirOrZip, limits, null);
    }

    static ModelBundle read(Path dirOrZip, ZipLimits limits, java.security.PublicKey publicKey) {
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
            unzip(dirOrZip, tmp, limits);
            ModelBundle bundle = readDir(dirOrZip, tmp, publicKey);
            TempDirs.deleteAtExit(tmp);
            return bundle;
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /**
     * Extracts a bundle zip into {@code destDir} (created if missing, must be empty) without verifying the bundle;
     * follow with {@link #read(Path)} of {@code destDir}. Refuses unsafe entries: absolute paths, "..", backslashes,
     * symlinks, encrypted entries, more than 1000 entries, more than 1 GiB uncompressed.
     */
    public static void unzip(Path zip, Path destDir) {
        unzip(zip, destDir, ZipLimits.DEFAULT);
    }

    /** As {@link #unzip(Path, Path)} with the box's own limits on entry count and total uncompressed bytes. */
    public static void unzip(Path zip, Path destDir, int maxEntries, long maxBytes) {
        unzip(zip, destDir, new ZipLimits(maxEntries, maxBytes));
    }

    /** Parses manifest.json of a bundle directory or zip, checking nothing else (for {@code bundle info}). */
    public static Manifest readManifest(Path dirOrZip) {
        String where = "bundle " + dirOrZip;
        byte[] bytes;
        if (Files.isDirectory(dirOrZip)) {
            bytes = readManifestBytes(dirOrZip, where);
        } else if (Files.isRegularFile(dirOrZip)) {
            try (ZipFile zip = new ZipFile(dirOrZip.toFile())) {
                ZipEntry entry = zip.getEntry(MANIFEST);
                if (entry == null || entry.isDirectory()) {
                    throw new BundleException(where + ": " + MANIFEST + " missing");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readNBytes((int) MAX_JSON_BYTES + 1);
                }
            } catch (ZipException e) {
                throw new BundleException(where + ": not a readable zip (" + e.getMessage() + ")", e);
            } catch (IOException e) {
                throw new BundleException(where + ": cannot read " + MANIFEST + " (" + e.getMessage() + ")", e);
            }
            if (bytes.length > MAX_JSON_BYTES) {
                throw new BundleException(where + ": " + MANIFEST + " is larger than " + MAX_JSON_BYTES + " bytes");
            }
        } else {
            throw new BundleException(where + ": no such directory or zip file");
        }
        return parse(bytes, Manifest.class, where, MANIFEST);
    }

    // ---------------------------------------------------------------- bundle directory

    private static ModelBundle readDir(Path source, Path dir, java.security.PublicKey publicKey) {
        String where = "bundle " + source;
        byte[] manifestBytes = readManifestBytes(dir, where);
        if (publicKey != null) {
            // the signature first: nothing of an unsigned or forged bundle is interpreted
            BundleSignature.verify(dir, manifestBytes, publicKey, where);
        }
        String identity = sha256Hex(manifestBytes);
        Manifest manifest = parse(manifestBytes, Manifest.class, where, MANIFEST);
        checkManifest(manifest, where);

        // every listed file must be there and unchanged before any of them is interpreted
        for (Map.Entry<String, String> e : new TreeMap<>(manifest.sha256()).entrySet()) {
            String name = e.getKey();
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new BundleException(where + ": " + name + " listed in manifest sha256 but missing");
            }
            String expected = e.getValue().toLowerCase();
            String actual = sha256Hex(file, where);
            if (!expected.equals(actual)) {
                throw new BundleException(where + ": " + name + " sha256 mismatch (manifest " + expected.substring(0, 12)
                        + ".., file " + actual.substring(0, 12) + "..)");
            }
        }

        Manifest.Stats ms = manifest.stats();
        Manifest.Embedding emb = manifest.embedding();
        Path statsPath = dir.resolve(ms.file());
        StatsFile.Header header;
        GaussianStats stats;
        try {
            header = StatsFile.readHeader(statsPath, ms.file());
            String prefix = ms.file() + ": header says ";
            if (header.dims() != ms.d()) {
                throw new BundleException(prefix + "d=" + header.dims() + " but manifest says d=" + ms.d());
            }
            if (header.positions() != ms.positions()) {
                throw new BundleException(prefix + "P=" + header.positions() + " but manifest says positions=" + ms.positions());
            }
            if (!header.dtypeName().equals(ms.dtype())) {
                throw new BundleException(prefix + header.dtypeName() + " but manifest says " + ms.dtype());
            }
            if (header.gridHeight() != emb.grid()[0] || header.gridWidth() != emb.grid()[1]) {
                throw new BundleException(prefix + "grid " + header.gridHeight() + "x" + header.gridWidth()
                        + " but manifest embedding.grid is " + emb.grid()[0] + "x" + emb.grid()[1]);
            }
            stats = StatsFile.read(statsPath, ms.file());
        } catch (BundleException e) {
            throw new BundleException(where + ": " + e.getMessage(), e);
        }

        PipelineConfig pipeline = parse(readJsonBytes(dir.resolve(PIPELINE), where, PIPELINE), PipelineConfig.class, where, PIPELINE);
        checkPipeline(pipeline, where);

        List<ModelBundle.SelfTestImage> selfTests = new ArrayList<>();
        for (Manifest.SelfTest t : selfTests(manifest)) {
            selfTests.add(new ModelBundle.SelfTestImage(dir.resolve(t.file()), t.expectedScore(), t.tolerance()));
        }
        return new ModelBundle(source, dir, manifest, identity, pipeline, stats, selfTests);
    }

    /** The manifest in itself: required fields, embedding consistent with stats, every referenced file checksummed. */
    private static void checkManifest(Manifest m, String where) {
        if (!Manifest.FORMAT.equals(m.format())) {
            throw new BundleException(where + ": manifest format is " + quoted(m.format()) + ", this build reads " + Manifest.FORMAT);
        }
        require(m.id() != null && !m.id().isBlank(), where, "manifest id is missing");
        require(m.sha256() != null && !m.sha256().isEmpty(), where, "manifest sha256 is missing");
        for (Map.Entry<String, String> e : m.sha256().entrySet()) {
            String problem = unsafeName(e.getKey());
            require(problem == null, where, "manifest sha256 lists " + quoted(e.getKey()) + ": " + problem);
            require(!e.getKey().equals(MANIFEST), where, "manifest sha256 lists manifest.json itself");
            require(e.getValue() != null && SHA256_HEX.matcher(e.getValue().toLowerCase()).matches(), where,
                    "manifest sha256 of " + e.getKey() + " is not 64 hex digits: " + quoted(e.getValue()));
        }

        Manifest.Backbone bb = m.backbone();
        require(bb != null && bb.file() != null, where, "manifest backbone.file is missing");
        Manifest.Input in = bb.input();
        require(in != null, where, "manifest backbone.input is missing");
        require(in.width() > 0 && in.height() > 0, where,
                "manifest backbone.input is " + in.width() + "x" + in.height() + ", must be positive");
        require(in.mean() != null && in.std() != null && in.mean().length > 0 && in.mean().length == in.std().length, where,
                "manifest backbone.input mean and std must be given per input channel");
        for (float s : in.std()) {
            require(s > 0 && Float.isFinite(s), where, "manifest backbone.input std " + s + " must be positive");
        }
        require("RGB".equals(in.channelOrder()) || "BGR".equals(in.channelOrder()), where,
                "manifest backbone.input channelOrder is " + quoted(in.channelOrder()) + ", expected \"RGB\" or \"BGR\"");
        require(bb.outputs() != null && !bb.outputs().isEmpty(), where, "manifest backbone.outputs is empty");

        Manifest.Embedding emb = m.embedding();
        require(emb != null, where, "manifest embedding is missing");
        int[] grid = emb.grid();
        require(grid != null && grid.length == 2 && grid[0] > 0 && grid[1] > 0, where,
                "manifest embedding.grid must be [height, width], both positive");
        require(emb.sourceChannels() > 0, where, "manifest embedding.sourceChannels is " + emb.sourceChannels() + ", must be positive");
        int[] ch = emb.channels();
        require(ch != null && ch.length > 0, where, "manifest embedding.channels is empty");
        for (int i = 0; i < ch.length; i++) {
            require(ch[i] >= 0 && ch[i] < emb.sourceChannels(), where, "manifest embedding.channels[" + i + "] = " + ch[i]
                    + " is outside 0.." + (emb.sourceChannels() - 1) + " (sourceChannels " + emb.sourceChannels() + ")");
            if (i > 0 && ch[i] <= ch[i - 1]) {
                throw new BundleException(where + ": manifest embedding.channels must be ascending and distinct, but ["
                        + (i - 1) + "] = " + ch[i - 1] + " and [" + i + "] = " + ch[i]);
            }
        }

        Manifest.Stats st = m.stats();
        require(st != null && st.file() != null, where, "manifest stats.file is missing");
        require("float32".equals(st.dtype()) || "float16".equals(st.dtype()), where,
                "manifest stats.dtype is " + quoted(st.dtype()) + ", expected \"float32\" or \"float16\"");
        require(st.d() == ch.length, where, "manifest stats.d=" + st.d() + " but embedding.channels has " + ch.length);
        require((long) grid[0] * grid[1] == st.positions(), where, "manifest stats.positions=" + st.positions()
                + " but embedding.grid " + grid[0] + "x" + grid[1] + " = " + (long) grid[0] * grid[1]);

        covered(m, bb.file(), "backbone.file", where);
        covered(m, st.file(), "stats.file", where);
        covered(m, PIPELINE, "the pipeline", where);
        List<Manifest.SelfTest> tests = selfTests(m);
        for (int i = 0; i < tests.size(); i++) {
            Manifest.SelfTest t = tests.get(i);
            require(t != null && t.file() != null, where, "manifest selfTest[" + i + "].file is missing");
            covered(m, t.file(), "selfTest[" + i + "]", where);
            require(Double.isFinite(t.expectedScore()), where, "manifest selfTest[" + i + "].expectedScore is not finite");
            require(Double.isFinite(t.tolerance()) && t.tolerance() >= 0, where,
                    "manifest selfTest[" + i + "].tolerance " + t.tolerance() + " must be finite and not negative");
        }
    }

    private static void checkPipeline(PipelineConfig p, String where) {
        PipelineConfig.Image image = p.image();
        require(image != null, where, "pipeline.json image is missing");
        require(image.crop() > 0 && image.resize() >= image.crop(), where, "pipeline.json image resize=" + image.resize()
                + " crop=" + image.crop() + ": crop must be positive and not above resize");
        PipelineConfig.Threshold t = p.threshold();
        require(t != null && t.image() != null, where, "pipeline.json threshold.image is missing");
        double v = t.image().value();
        require(Double.isFinite(v) && v > 0, where, "pipeline.json threshold.image.value is " + v + ", must be positive and finite");
        if (t.pixel() != null) {
            double pv = t.pixel().value();
            require(Double.isFinite(pv) && pv > 0, where, "pipeline.json threshold.pixel.value is " + pv + ", must be positive and finite");
        }
        if (p.smoothing() != null) {
            double s = p.smoothing().sigma();
            require(Double.isFinite(s) && s >= 0, where, "pipeline.json smoothing.sigma is " + s + ", must be finite and not negative");
        }
        if (p.regions() != null) {
            require(p.regions().minArea() >= 0 && p.regions().opening() >= 0, where,
                    "pipeline.json regions minArea and opening must not be negative");
        }
        if (p.heatmap() != null) {
            require(p.heatmap().size() > 0 && p.heatmap().jpegQuality() >= 1 && p.heatmap().jpegQuality() <= 100, where,
                    "pipeline.json heatmap size must be positive and jpegQuality 1..100");
        }
    }

    private static void covered(Manifest m, String file, String what, String where) {
        require(m.sha256().containsKey(file), where, quoted(file) + " (" + what + ") has no sha256 in the manifest");
    }

    static List<Manifest.SelfTest> selfTests(Manifest m) {
        return m.selfTest() == null ? List.of() : m.selfTest();
    }

    private static void require(boolean ok, String where, String problem) {
        if (!ok) {
            throw new BundleException(where + ": " + problem);
        }
    }

    /**
     * Why a bundle-relative name is unsafe, or null when it is safe: '/'-separated, relative, no "." or ".." or
     * empty segments, no backslashes, colons or control characters (which could name a drive or escape the bundle).
     */
    static String unsafeName(String name) {
        if (name == null || name.isEmpty()) {
            return "empty name";
        }
        if (name.startsWith("/")) {
            return "absolute path";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                return "backslash in path";
            }
            if (c == ':') {
                return "colon in path";
            }
            if (c < 0x20 || c == 0x7f) {
                return "control character in path";
            }
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                return "\"..\" in path";
            }
            if (segment.isEmpty() || segment.equals(".")) {
                return "empty or \".\" path segment";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- json

    private static byte[] readManifestBytes(Path dir, String where) {
        return readJsonBytes(dir.resolve(MANIFEST), where, MANIFEST);
    }

    private static byte[] readJsonBytes(Path file, String where, String name) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new BundleException(where + ": " + name + " missing");
            }
            long size = Files.size(file);
            if (size > MAX_JSON_BYTES) {
                throw new BundleException(where + ": " + name + " is " + size + " bytes, larger than " + MAX_JSON_BYTES);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + name + " (" + e.getMessage() + ")", e);
        }
    }

    private static <T> T parse(byte[] bytes, Class<T> type, String where, String name) {
        T value;
        try {
            value = JSON.readValue(bytes, type);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String position = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String reason = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            throw new BundleException(where + ": " + name + " is not valid (" + firstLine(reason) + position + ")", e);
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + name + " (" + e.getMessage() + ")", e);
        }
        if (value == null) {
            throw new BundleException(where + ": " + name + " is empty or null");
        }
        return value;
    }

    // ---------------------------------------------------------------- sha256

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static String sha256Hex(Path file, String where) {
        MessageDigest md = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + file.getFileName() + " (" + e.getMessage() + ")", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    // ---------------------------------------------------------------- zip

    static void unzip(Path zipPath, Path destDir, ZipLimits limits) {
        String where = "bundle " + zipPath;
        // the central directory is scanned by hand first: java.util.zip hides the Unix mode that marks symlinks
        Map<String, Integer> unixModes = scanCentralDirectory(zipPath, where, limits);
        boolean created = !Files.exists(destDir);
        try {
            Files.createDirectories(destDir);
            try (Stream<Path> s = Files.list(destDir)) {
                if (s.findAny().isPresent()) {
                    throw new BundleException(where + ": cannot extract into " + destDir + ", it is not empty");
                }
            }
        } catch (IOException e) {
            throw new BundleException(where + ": cannot create " + destDir + " (" + e.getMessage() + ")", e);
        }
        try {
            extractEntries(zipPath, destDir, unixModes, limits, where);
        } catch (RuntimeException e) {
            // destDir was empty or absent, so everything in it now came from this zip
            if (created) {
                deleteTree(destDir);
            } else {
                try (Stream<Path> s = Files.list(destDir)) {
                    s.forEach(BundleReader::deleteTree);
                } catch (IOException ignored) {
                    // best effort; the refusal is what matters
                }
            }
            throw e;
        }
    }

    private static void extractEntries(Path zipPath, Path destDir, Map<String, Integer> unixModes, ZipLimits limits,
                                       String where) {
        Path root = destDir.toAbsolutePath().normalize();
        long total = 0;
        int count = 0;
        byte[] buf = new byte[1 << 16];
        try (ZipFile zip = new ZipFile(zipPath.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (++count > limits.maxEntries()) {
                    throw new BundleException(where + ": zip has more than " + limits.maxEntries() + " entries");
                }
                String name = entry.getName();
                Integer mode = unixModes.get(name);
                if (mode == null) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " is not in its central directory");
                }
                if ((mode & 0170000) == 0120000) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " is a symlink");
                }
                String plain = entry.isDirectory() ? name.substring(0, name.length() - 1) : name;
                String problem = unsafeName(plain);
                if (problem != null) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " refused: " + problem);
                }
                Path target = root.resolve(plain).normalize();
                if (!target.startsWith(root) || target.equals(root)) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " refused: leaves the bundle directory");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = zip.getInputStream(entry);
                     OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        total += n;
                        if (total > limits.maxBytes()) {
                            throw new BundleException(where + ": zip expands to more than " + limits.maxBytes() + " bytes");
                        }
                        out.write(buf, 0, n);
                    }
                } catch (FileAlreadyExistsException e) {
                    throw new BundleException(where + ": zip holds " + quoted(name) + " twice", e);
                } catch (ZipException e) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " is corrupt (" + e.getMessage() + ")", e);
                } catch (java.io.EOFException e) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " is truncated", e);
                }
            }
        } catch (ZipException e) {
            throw new BundleException(where + ": not a readable zip (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new BundleException(where + ": cannot extract (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Reads the zip's end record and central directory: refuses a truncated file, too many entries, duplicate names
     * and encrypted entries, and returns each entry's Unix mode (0 when the zip was not made on Unix).
     */
    private static Map<String, Integer> scanCentralDirectory(Path zipPath, String where, ZipLimits limits) {
        try (FileChannel ch = FileChannel.open(zipPath, StandardOpenOption.READ)) {
            long size = ch.size();
            // end of central directory: 22 bytes plus a comment of up to 65535, at the very end of the file
            int tailLength = (int) Math.min(size, 22 + 65535);
            ByteBuffer tail = readAt(ch, size - tailLength, tailLength);
            int eocd = -1;
            for (int i = tailLength - 22; i >= 0; i--) {
                if (tail.getInt(i) == 0x06054b50 && i + 22 + (tail.getShort(i + 20) & 0xffff) == tailLength) {
                    eocd = i;
                    break;
                }
            }
            if (eocd < 0) {
                throw new BundleException(where + ": not a zip or truncated (no end-of-central-directory record)");
            }
            long entries = tail.getShort(eocd + 10) & 0xffff;
            long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
            long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
            long eocdPos = size - tailLength + eocd;
            if (entries == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
                // zip64: a locator just before the end record points at the zip64 end record
                if (eocdPos < 20) {
                    throw new BundleException(where + ": truncated zip64 end record");
                }
                ByteBuffer locator = readAt(ch, eocdPos - 20, 20);
                if (locator.getInt(0) != 0x07064b50) {
                    throw new BundleException(where + ": zip64 locator missing");
                }
                long z64 = locator.getLong(8);
                if (z64 < 0 || z64 + 56 > eocdPos) {
                    throw new BundleException(where + ": zip64 end record out of range");
                }
                ByteBuffer rec = readAt(ch, z64, 56);
                if (rec.getInt(0) != 0x06064b50) {
                    throw new BundleException(where + ": zip64 end record missing");
                }
                entries = rec.getLong(32);
                cdSize = rec.getLong(40);
                cdOffset = rec.getLong(48);
                eocdPos = z64;
            }
            if (entries < 0 || entries > limits.maxEntries()) {
                throw new BundleException(where + ": zip has " + Long.toUnsignedString(entries) + " entries, more than "
                        + limits.maxEntries());
            }
            // 46-byte header plus name, extra and comment of up to 65535 each
            if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > eocdPos || cdSize > entries * (46 + 3 * 65535L)
                    || cdSize > (64 << 20)) {
                throw new BundleException(where + ": zip central directory out of range (truncated?)");
            }
            ByteBuffer cd = readAt(ch, cdOffset, (int) cdSize);
            Map<String, Integer> modes = new HashMap<>();
            int p = 0;
            for (long i = 0; i < entries; i++) {
                if (p + 46 > cdSize || cd.getInt(p) != 0x02014b50) {
                    throw new BundleException(where + ": zip central directory is corrupt at entry " + i);
                }
                int madeBy = cd.getShort(p + 4) & 0xffff;
                int flags = cd.getShort(p + 8) & 0xffff;
                int nameLength = cd.getShort(p + 28) & 0xffff;
                int extraLength = cd.getShort(p + 30) & 0xffff;
                int commentLength = cd.getShort(p + 32) & 0xffff;
                int external = cd.getInt(p + 38);
                if (p + 46L + nameLength + extraLength + commentLength > cdSize) {
                    throw new BundleException(where + ": zip central directory is corrupt at entry " + i);
                }
                byte[] nameBytes = new byte[nameLength];
                cd.get(p + 46, nameBytes);
                // java.util.zip decodes names as UTF-8 too, so both see the same name
                String name = new String(nameBytes, StandardCharsets.UTF_8);
                if ((flags & 1) != 0) {
                    throw new BundleException(where + ": zip entry " + quoted(name) + " is encrypted");
                }
                int mode = (madeBy >>> 8) == 3 ? external >>> 16 : 0; // host 3 = Unix keeps st_mode in the high half
                if (modes.put(name, mode) != null) {
                    throw new BundleException(where + ": zip holds " + quoted(name) + " twice");
                }
                p += 46 + nameLength + extraLength + commentLength;
            }
            return modes;
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read zip (" + e.getMessage() + ")", e);
        }
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new java.io.EOFException("zip ends early");
            }
        }
        return buf.flip();
    }

    // ---------------------------------------------------------------- helpers

    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException | NoSuchFileException ignored) {
                    // something else is writing there; leave it
                }
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort: a leftover temporary directory is not worth failing a read or a refusal for
        }
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Directories zips were extracted into, removed when the JVM exits (the bundle's files are in use until then). */
    private static final class TempDirs {
        private static final Set<Path> DIRS = Collections.synchronizedSet(new LinkedHashSet<>());

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                synchronized (DIRS) {
                    DIRS.forEach(BundleReader::deleteTree);
                }
            }, "kensa-bundle-cleanup"));
        }

        static void deleteAtExit(Path dir) {
            DIRS.add(dir);
        }
    }
}
