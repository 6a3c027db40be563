package dev.kensa.journal;

import dev.kensa.KensaException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The local, crash-safe results journal (DESIGN §3, §6): every result is appended and forced to disk before it
 * is published, and the publisher works from here, so a broker outage delays results but never loses them, and
 * order is kept.
 *
 * <p>Layout: segment files {@code NNNNNNNNNNNNNNNNNNNN.log} named by the seq of their first record, and
 * {@code published} holding the highest seq the broker acknowledged (replaced atomically). A record is
 * {@code [int magic][int length][int crc32c][long seq][payload]}, little-endian, the CRC over seq and payload.
 * On open, the tail of the newest segment is scanned and anything after the last whole, checksummed record (a
 * write torn by a crash or power loss) is cut off; every record before it survives.
 *
 * <p>Thread-safe. Appends are serialised; readers see only appended, forced records.
 */
public final class ResultJournal implements AutoCloseable {
    private static final int MAGIC = 0x4B4A524E; // "KJRN"
    private static final int HEADER = 4 + 4 + 4 + 8;
    private static final String SUFFIX = ".log";
    private static final String CURSOR = "published";

    private final Path dir;
    private final long segmentBytes;
    /** first seq of each segment -> its file */
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    private FileChannel tail;
    private long tailFirstSeq;
    private long lastSeq;
    private long published;
    private boolean closed;

    /**
     * Opens (creating if needed) a journal, recovering from a torn tail.
     *
     * @param segmentBytes roll to a new segment file after this many bytes
     */
    public static ResultJournal open(Path dir, long segmentBytes) {
        try {
            Files.createDirectories(dir);
            return new ResultJournal(dir, segmentBytes);
        } catch (IOException e) {
            throw new KensaException("cannot open results journal " + dir + ": " + e.getMessage(), e);
        }
    }

    public static ResultJournal open(Path dir) {
        return open(dir, 64L << 20);
    }

    private ResultJournal(Path dir, long segmentBytes) throws IOException {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = p.getFileName().toString();
                segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), p);
            }
        }
        Path cursor = dir.resolve(CURSOR);
        published = Files.exists(cursor) ? Long.parseLong(Files.readString(cursor).trim()) : 0;
        if (segments.isEmpty()) {
            lastSeq = published;
            openTail(published + 1);
        } else {
            var last = segments.lastEntry();
            tailFirstSeq = last.getKey();
            tail = FileChannel.open(last.getValue(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            long[] end = recover(tail, tailFirstSeq);
            lastSeq = end[0];
            if (tail.size() != end[1]) {
                tail.truncate(end[1]);
                tail.force(true);
            }
            tail.position(end[1]);
        }
        if (published > lastSeq) {
            published = lastSeq; // a cursor ahead of the data can only come from lost records; resend from the data
        }
    }

    /** Scans a segment: returns {last whole seq (or first-1), byte offset after it}. */
    private static long[] recover(FileChannel ch, long firstSeq) throws IOException {
        long pos = 0;
        long seq = firstSeq - 1;
        ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        long size = ch.size();
        while (pos + HEADER <= size) {
            header.clear();
            readFully(ch, header, pos);
            header.flip();
            int magic = header.getInt();
            int length = header.getInt();
            int crc = header.getInt();
            long s = header.getLong();
            if (magic != MAGIC || length < 0 || pos + HEADER + length > size || s != seq + 1) {
                break;
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            readFully(ch, payload, pos + HEADER);
            if (crc(s, payload.array()) != crc) {
                break;
            }
            seq = s;
            pos += HEADER + length;
        }
        return new long[]{seq, pos};
    }

    private void openTail(long firstSeq) throws IOException {
        Path file = dir.resolve(String.format("%020d%s", firstSeq, SUFFIX));
        tail = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        tailFirstSeq = firstSeq;
        segments.put(firstSeq, file);
        forceDirectory();
    }

    /** Appends and forces to disk; returns the entries with their seq. One fsync for the whole list. */
    public synchronized List<JournalEntry> append(List<JournalEntry> entries) {
        ensureOpen();
        List<JournalEntry> out = new ArrayList<>(entries.size());
        try {
            for (JournalEntry e : entries) {
                if (tail.position() >= segmentBytes) {
                    tail.force(true);
                    tail.close();
                    openTail(lastSeq + 1);
                }
                long seq = lastSeq + 1;
                byte[] payload = encode(e);
                ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
                buf.putInt(MAGIC).putInt(payload.length).putInt(crc(seq, payload)).putLong(seq).put(payload).flip();
                while (buf.hasRemaining()) {
                    tail.write(buf);
                }
                lastSeq = seq;
                out.add(e.withSeq(seq));
            }
            tail.force(false);
            notifyAll();
            return out;
        } catch (IOException ex) {
            throw new UncheckedIOException("results journal " + dir + ": append failed: " + ex.getMessage(), ex);
        }
    }

    public JournalEntry append(JournalEntry entry) {
        return append(List.of(entry)).get(0);
    }

    /** Up to {@code max} entries with seq &gt;= {@code fromSeq}, in order. */
    public synchronized List<JournalEntry> read(long fromSeq, int max) {
        ensureOpen();
        List<JournalEntry> out = new ArrayList<>();
        if (fromSeq > lastSeq) {
            return out;
        }
        var floor = segments.floorEntry(Math.max(fromSeq, segments.firstKey()));
        try {
            for (var seg : segments.tailMap(floor.getKey(), true).entrySet()) {
                try (FileChannel ch = FileChannel.open(seg.getValue(), StandardOpenOption.READ)) {
                    long pos = 0;
                    long size = seg.getKey().equals(tailFirstSeq) ? tail.position() : ch.size();
                    ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
                    while (pos + HEADER <= size && out.size() < max) {
                        header.clear();
                        readFully(ch, header, pos);
                        header.flip();
                        header.getInt();
                        int length = header.getInt();
                        header.getInt();
                        long seq = header.getLong();
                        if (seq >= fromSeq) {
                            ByteBuffer payload = ByteBuffer.allocate(length);
                            readFully(ch, payload, pos + HEADER);
                            out.add(decode(seq, payload.array()));
                        }
                        pos += HEADER + length;
                    }
                }
                if (out.size() >= max) {
                    break;
                }
            }
            return out;
        } catch (IOException ex) {
            throw new UncheckedIOException("results journal " + dir + ": read failed: " + ex.getMessage(), ex);
        }
    }

    /** Waits up to {@code millis} for an entry after {@code seq} to be appended. */
    public synchronized boolean awaitAfter(long seq, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (lastSeq <= seq && !closed) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return lastSeq > seq;
    }

    /**
     * Records that every entry up to {@code seq} was acknowledged by the broker; survives a crash (written to a
     * temporary file, forced, then renamed over the old cursor). Fully published old segments are deleted, so
     * the journal holds what is unpublished plus the current segment.
     */
    public synchronized void markPublished(long seq) {
        ensureOpen();
        if (seq <= published) {
            return;
        }
        if (seq > lastSeq) {
            throw new IllegalArgumentException("cannot mark " + seq + " published: journal ends at " + lastSeq);
        }
        try {
            Path tmp = dir.resolve(CURSOR + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(Long.toString(seq).getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(CURSOR), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(CURSOR), StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory();
            published = seq;
            // a segment is done when the next segment starts at or below published + 1
            while (segments.size() > 1) {
                var first = segments.firstEntry();
                Long next = segments.higherKey(first.getKey());
                if (next == null || next - 1 > published) {
                    break;
                }
                Files.deleteIfExists(first.getValue());
                segments.remove(first.getKey());
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("results journal " + dir + ": cannot save the published cursor: " + ex.getMessage(), ex);
        }
    }

    public synchronized long lastSeq() {
        return lastSeq;
    }

    public synchronized long publishedSeq() {
        return published;
    }

    /** Entries appended but not yet acknowledged by the broker. */
    public synchronized long backlog() {
        return lastSeq - published;
    }

    private void forceDirectory() {
        // make the new file's name durable; not supported on every OS, harmless where it is not
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // e.g. directories cannot be opened for sync on this platform
        }
    }

    private static byte[] encode(JournalEntry e) {
        byte[] id = e.id().getBytes(StandardCharsets.UTF_8);
        byte[] verdict = e.verdict().getBytes(StandardCharsets.UTF_8);
        byte[] heatmap = e.heatmap() == null ? new byte[0] : e.heatmap();
        ByteBuffer b = ByteBuffer.allocate(16 + id.length + verdict.length + e.json().length + heatmap.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(id.length).put(id).putInt(verdict.length).put(verdict).putInt(e.json().length).put(e.json())
                .putInt(heatmap.length).put(heatmap);
        return b.array();
    }

    private static JournalEntry decode(long seq, byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        String id = new String(bytes(b), StandardCharsets.UTF_8);
        String verdict = new String(bytes(b), StandardCharsets.UTF_8);
        byte[] json = bytes(b);
        byte[] heatmap = bytes(b);
        return new JournalEntry(seq, id, verdict, json, heatmap);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.getInt()];
        b.get(out);
        return out;
    }

    private static int crc(long seq, byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq));
        c.update(payload);
        return (int) c.getValue();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new IOException("unexpected end of journal segment");
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("results journal is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        notifyAll();
        try {
            tail.force(true);
            tail.close();
        } catch (IOException ignored) {
            // already forced after every append
        }
    }
}
