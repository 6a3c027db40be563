package dev.kensa.source;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A hot folder image source (DESIGN §3): every new image file in the folder is inspected once, then moved to
 * {@code done/}, {@code ng/} or {@code error/} by its verdict, and only after the handler returns (the daemon's
 * handler journals the result first). A daemon killed between the two re-inspects that file on restart: a
 * duplicate result, never a lost one.
 *
 * <p>Partial writes: hidden files and names ending {@code .part}, {@code .tmp}, {@code .filepart} or
 * {@code .crdownload} are never read, and a file is read only once its size and modification time have not
 * changed for {@code settleMillis}. Writers should write under a temporary name and rename.
 */
public final class HotFolder implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HotFolder.class);
    private static final List<String> PARTIAL = List.of(".part", ".tmp", ".filepart", ".crdownload");

    /** Inspects one file's bytes and returns the verdict name: "OK", "NG" or "ERROR". */
    @FunctionalInterface
    public interface Handler {
        String inspect(Path file, byte[] bytes) throws Exception;
    }

    private record Seen(long size, long modified, long since) {
    }

    private final Path dir;
    private final Handler handler;
    private final long pollMillis;
    private final long settleMillis;
    private final Map<Path, Seen> pending = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long processed;

    public HotFolder(Path dir, Handler handler, long pollMillis, long settleMillis) throws IOException {
        this.dir = dir;
        this.handler = handler;
        this.pollMillis = pollMillis;
        this.settleMillis = settleMillis;
        for (String sub : List.of("done", "ng", "error")) {
            Files.createDirectories(dir.resolve(sub));
        }
        this.thread = new Thread(this::loop, "kensa-hot-folder");
        this.thread.setDaemon(true);
    }

    public HotFolder start() {
        thread.start();
        LOG.infof("hot folder %s: watching (poll %d ms, settle %d ms)", dir, pollMillis, settleMillis);
        return this;
    }

    public long processed() {
        return processed;
    }

    private void loop() {
        while (running) {
            try {
                pollOnce(System.currentTimeMillis());
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | IOException e) {
                LOG.warnf("hot folder %s: %s", dir, e.toString());
            }
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
            if (!running) {
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
            if (now - s.since() < settleMillis) {
                continue;
            }
            pending.remove(f);
            process(f);
        }
    }

    private void process(Path f) throws IOException {
        String verdict;
        try {
            verdict = handler.inspect(f, Files.readAllBytes(f));
        } catch (Exception e) {
            // the handler could not even record a result (e.g. no model): leave the file for the next scan
            LOG.warnf("hot folder: %s not inspected, will retry: %s", f.getFileName(), e.getMessage());
            return;
        }
        String sub = switch (verdict) {
            case "OK" -> "done";
            case "NG" -> "ng";
            default -> "error";
        };
        move(f, dir.resolve(sub));
        processed++;
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
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
