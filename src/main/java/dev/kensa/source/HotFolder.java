package dev.kensa.source;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.kensa.pipeline.ImageInput;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A hot folder image source (../shared/DESIGN.md §3): every new image file in the folder is inspected once, then moved to
 * {@code done/}, {@code ng/} or {@code error/} by its verdict, and only after the handler returns (the daemon's
 * handler journals the result first). A daemon killed between the two re-inspects that file on restart: a
 * duplicate result, never a lost one.
 *
 * <p>Partial writes: hidden files and names ending {@code .part}, {@code .tmp}, {@code .filepart} or
 * {@code .crdownload} are never read, and a file is read only once its size and modification time have not
 * changed for {@code settleMillis}. Writers should write under a temporary name and rename.
 *
 * <p>A file over {@code maxBytes} is never read: it gets an ERROR result saying its size and goes to {@code error/}.
 * The part id is taken from the file name ({@code partIdPattern}, first group). The scanning loop runs as a
 * {@link SourceWorker}: if it dies (the folder is gone or unreadable, a file cannot be moved, an Error) it is
 * restarted, and is reported down meanwhile.
 */
public final class HotFolder implements Source {
    /** Its source id: the key in the status's {@code sources} and the readiness check's name. */
    public static final String ID = "hotFolder";
    private static final Logger LOG = Logger.getLogger(HotFolder.class);
    private static final List<String> PARTIAL = List.of(".part", ".tmp", ".filepart", ".crdownload");

    /**
     * Inspects one file and returns its verdict. {@code bytes} is null for an input
     * refused unread ({@link ImageInput#refused}): its result is an ERROR saying why.
     */
    @FunctionalInterface
    public interface Handler {
        dev.kensa.verdict.Verdict inspect(ImageInput input, byte[] bytes) throws Exception;
    }

    /**
     * @param maxBytes      largest file read ({@code kensa.api.max-image-bytes})
     * @param partIdPattern first group = the part id, over the file name ({@code kensa.hot-folder.part-id-pattern})
     */
    public record Settings(long pollMillis, long settleMillis, long maxBytes, Pattern partIdPattern) {
        public static final long DEFAULT_MAX_BYTES = 33_554_432L;
        public static final String DEFAULT_PART_ID_PATTERN = "(.+?)(?:[.][^.]*)?";

        public static Settings of(long pollMillis, long settleMillis) {
            return new Settings(pollMillis, settleMillis, DEFAULT_MAX_BYTES, partIdPattern(DEFAULT_PART_ID_PATTERN));
        }

        /** @throws dev.kensa.KensaException when it is not a regular expression with a group */
        public static Pattern partIdPattern(String regex) {
            Pattern p;
            try {
                p = Pattern.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new dev.kensa.KensaException("kensa.hot-folder.part-id-pattern is not a regular expression: "
                        + e.getDescription() + " near index " + e.getIndex() + " of " + regex);
            }
            if (p.matcher("").groupCount() < 1) {
                throw new dev.kensa.KensaException("kensa.hot-folder.part-id-pattern needs a group for the part id, "
                        + "e.g. cam1_([^_]+)_.*; got " + regex);
            }
            return p;
        }
    }

    private record Seen(long size, long modified, long since) {
    }

    /** The hot folder's status: its worker's, and the files it has filed since the start. */
    @JsonPropertyOrder({"worker", "processed"})
    public record Status(@JsonUnwrapped SourceWorker.Status worker, long processed) implements Source.Status {
    }

    private final Path dir;
    private final Handler handler;
    private final Settings settings;
    private final Map<Path, Seen> pending = new HashMap<>();
    private final SourceWorker worker;
    private volatile long processed;

    public HotFolder(Path dir, Handler handler, long pollMillis, long settleMillis) throws IOException {
        this(dir, handler, Settings.of(pollMillis, settleMillis), () -> {
        });
    }

    /** @param onStateChange called when the scanning worker goes down or comes back (for the MQTT status) */
    public HotFolder(Path dir, Handler handler, Settings settings, Runnable onStateChange) throws IOException {
        this.dir = dir;
        this.handler = handler;
        this.settings = settings;
        for (String sub : List.of("done", "ng", "error")) {
            Files.createDirectories(dir.resolve(sub)); // at start the folder is made if missing
        }
        this.worker = new SourceWorker("kensa-hot-folder", "hot folder " + dir, this::loop, onStateChange);
    }

    public HotFolder start() {
        worker.start();
        LOG.infof("hot folder %s: watching (poll %d ms, settle %d ms)", dir, settings.pollMillis(), settings.settleMillis());
        return this;
    }

    public long processed() {
        return processed;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Status status() {
        return new Status(worker.status(), processed);
    }

    @Override
    public Map<String, Object> readinessData() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dir", dir.toString());
        m.put("processed", processed);
        return m;
    }

    public Path dir() {
        return dir;
    }

    /**
     * At a (re)start of the worker the folder must be there: one that vanished while served (an unplugged disk, a
     * lost mount) is a failure to report, not a folder to recreate on the root file system.
     */
    private void prepare() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "the hot folder is not there (removed or not mounted)");
        }
        for (String sub : List.of("done", "ng", "error")) {
            Files.createDirectories(dir.resolve(sub));
        }
    }

    private void loop() throws Exception {
        prepare();
        while (true) {
            // listing and moving failures end the worker: reported down and retried, never skipped in silence
            pollOnce(System.currentTimeMillis());
            Thread.sleep(settings.pollMillis());
        }
    }

    /** One scan: inspect every file that has settled. Package-private for tests. */
    void pollOnce(long now) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).filter(HotFolder::eligible).sorted().toList();
        }
        pending.keySet().retainAll(files);
        for (Path f : files) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(f, BasicFileAttributes.class);
            } catch (IOException gone) {
                continue;
            }
            Seen s = pending.get(f);
            long modified = a.lastModifiedTime().toMillis();
            if (s == null || s.size() != a.size() || s.modified() != modified) {
                pending.put(f, new Seen(a.size(), modified, now));
                continue;
            }
            if (now - s.since() < settings.settleMillis()) {
                continue;
            }
            pending.remove(f);
            process(f, a.size());
        }
    }

    private void process(Path f, long size) throws IOException {
        String partId;
        try {
            partId = partId(f.getFileName().toString());
        } catch (IllegalArgumentException e) {
            file(f, ImageInput.refused(f.toString(), null, null, e.getMessage()), null);
            return;
        }
        long max = settings.maxBytes();
        if (size > max) {
            file(f, ImageInput.refused(f.toString(), null, partId, tooLarge(size, max)), null);
            return;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(f)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1)); // bounded: the file may grow
        } catch (IOException e) {
            file(f, ImageInput.refused(f.toString(), null, partId, e.toString()), null);
            return;
        }
        if (bytes.length > max) { // grew after it settled
            file(f, ImageInput.refused(f.toString(), null, partId, tooLarge(bytes.length, max) + " (it grew while read)"), null);
            return;
        }
        file(f, ImageInput.of(f.toString(), bytes, null, partId), bytes);
    }

    static String tooLarge(long size, long max) {
        return "file is " + size + " bytes, over the limit of " + max + " bytes (kensa.api.max-image-bytes)";
    }

    /** The part id from a file name, or null when the pattern does not match it. */
    String partId(String name) {
        Matcher m = settings.partIdPattern().matcher(name);
        if (!m.matches() || m.groupCount() < 1) {
            return null;
        }
        return PartId.check(m.group(1), "the file name");
    }

    /** Inspects and moves by verdict; false (file left for the next scan) when no result could be recorded. */
    private boolean file(Path f, ImageInput input, byte[] bytes) throws IOException {
        dev.kensa.verdict.Verdict verdict;
        try {
            verdict = handler.inspect(input, bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            // the handler could not even record a result (e.g. no model): leave the file for the next scan
            LOG.warnf("hot folder: %s not inspected, will retry: %s", f.getFileName(), e.getMessage());
            return false;
        }
        String sub = switch (verdict) {
            case OK -> "done";
            case NG -> "ng";
            case ERROR -> "error";
        };
        move(f, dir.resolve(sub));
        processed++;
        return true;
    }

    private static void move(Path f, Path target) throws IOException {
        String name = f.getFileName().toString();
        // an atomic rename replaces an existing target on Linux, so look first; only this thread writes there
        for (int i = 0; ; i++) {
            Path to = target.resolve(i == 0 ? name : name + "." + i);
            if (!Files.exists(to)) {
                Files.move(f, to, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
        }
    }

    static boolean eligible(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && PARTIAL.stream().noneMatch(name::endsWith);
    }

    @Override
    public void close() throws InterruptedException {
        worker.close();
    }
}
