package dev.kensa.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * NG parts kept for review: the result JSON, the heatmap and the original image of every NG inspection, newest
 * kept, oldest deleted past a count or byte limit. Files are {@code <seq>-<id>.json|.jpg|.img} with the journal
 * seq zero-padded, so name order is time order and a restart rebuilds the index from a directory listing.
 */
public final class NgArchive {
    /** Result ids that are safe as file names here. */
    private static final java.util.regex.Pattern SAFE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]+");
    /** One archived NG result. */
    public record Item(long seq, String id, Path json, Path heatmap, Path image) {
    }

    private final Path dir;
    private final int maxCount;
    private final long maxBytes;
    private final TreeMap<Long, Item> items = new TreeMap<>();
    private long bytes;

    public NgArchive(Path dir, int maxCount, long maxBytes) {
        this.dir = dir;
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(dir);
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                    String name = p.getFileName().toString();
                    int dash = name.indexOf('-');
                    long seq = Long.parseLong(name.substring(0, dash));
                    String id = name.substring(dash + 1, name.length() - 5);
                    Item it = item(seq, id);
                    items.put(seq, it);
                    bytes += size(it);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot open NG archive " + dir + ": " + e.getMessage(), e);
        }
    }

    private Item item(long seq, String id) {
        String base = String.format("%020d-%s", seq, id);
        return new Item(seq, id, dir.resolve(base + ".json"), dir.resolve(base + ".jpg"), dir.resolve(base + ".img"));
    }

    /** Archives an NG result; the JSON is written last (and renamed into place) so a listed item is complete. */
    public synchronized Item add(JournalEntry e, byte[] image) {
        if (!SAFE_ID.matcher(e.id()).matches()) {
            throw new IllegalArgumentException("result id not usable as a file name: " + e.id());
        }
        Item it = item(e.seq(), e.id());
        try {
            Files.write(it.heatmap(), e.heatmap());
            Files.write(it.image(), image == null ? new byte[0] : image);
            Path tmp = dir.resolve(it.json().getFileName() + ".tmp");
            Files.write(tmp, e.json());
            Files.move(tmp, it.json(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            items.put(it.seq(), it);
            bytes += size(it);
            while (items.size() > maxCount || (bytes > maxBytes && items.size() > 1)) {
                Item old = items.pollFirstEntry().getValue();
                bytes -= size(old);
                Files.deleteIfExists(old.json());
                Files.deleteIfExists(old.heatmap());
                Files.deleteIfExists(old.image());
            }
            return it;
        } catch (IOException ex) {
            throw new UncheckedIOException("NG archive " + dir + ": " + ex.getMessage(), ex);
        }
    }

    /** Newest first, at most {@code limit}. */
    public synchronized List<Item> newest(int limit) {
        List<Item> out = new ArrayList<>();
        for (Item it : items.descendingMap().values()) {
            if (out.size() >= limit) {
                break;
            }
            out.add(it);
        }
        return out;
    }

    public synchronized Item byId(String id) {
        for (Item it : items.values()) {
            if (it.id().equals(id)) {
                return it;
            }
        }
        return null;
    }

    public synchronized int count() {
        return items.size();
    }

    public synchronized long bytes() {
        return bytes;
    }

    private static long size(Item it) {
        long s = 0;
        for (Path p : List.of(it.json(), it.heatmap(), it.image())) {
            try {
                s += Files.size(p);
            } catch (IOException missing) {
                // partially deleted item: counts what is there
            }
        }
        return s;
    }
}
