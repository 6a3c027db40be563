package dev.kensa.bundle;

import dev.kensa.util.FileTrees;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Safe extraction of a bundle zip: refuses absolute paths, "..", backslashes, symlinks, encrypted entries, duplicate
 * names, and more entries or uncompressed bytes than the limits (counted while extracting: header sizes are not
 * trusted). Nothing of the bundle is verified here; {@link BundleReader} reads the extracted directory.
 */
public final class SafeUnzip {
    /** How much a bundle zip may hold. */
    public record Limits(int maxEntries, long maxBytes) {
        public static final Limits DEFAULT = new Limits(1000, 1L << 30);
    }

    private SafeUnzip() {
    }

    /** Extracts {@code zip} into {@code destDir} (created if missing, must be empty) with the default limits. */
    public static void extract(Path zip, Path destDir) {
        extract(zip, destDir, Limits.DEFAULT);
    }

    /** As {@link #extract(Path, Path)} with the box's own limits on entry count and total uncompressed bytes. */
    public static void extract(Path zip, Path destDir, int maxEntries, long maxBytes) {
        extract(zip, destDir, new Limits(maxEntries, maxBytes));
    }

    static void extract(Path zipPath, Path destDir, Limits limits) {
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
                FileTrees.deleteQuietly(destDir);
            } else {
                try (Stream<Path> s = Files.list(destDir)) {
                    s.forEach(FileTrees::deleteQuietly);
                } catch (IOException ignored) {
                    // best effort; the refusal is what matters
                }
            }
            throw e;
        }
    }

    private static void extractEntries(Path zipPath, Path destDir, Map<String, Integer> unixModes, Limits limits,
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
    private static Map<String, Integer> scanCentralDirectory(Path zipPath, String where, Limits limits) {
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

    /**
     * Why a bundle-relative name is unsafe, or null when it is safe: '/'-separated, relative, no "." or ".." or
     * empty segments, no backslashes, colons or control characters (which could name a drive or escape the bundle).
     */
    public static String unsafeName(String name) {
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

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
