package dev.kensa.journal;

import dev.kensa.KensaException;
import dev.kensa.verdict.Verdict;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The local, crash-safe results journal (../shared/DESIGN.md §3, §6): every result is appended and forced to disk before it
 * is published, and the publisher works from here, so a broker outage delays results but never loses them, and
 * order is kept.
 *
 * <p>Layout: segment files {@code NNNNNNNNNNNNNNNNNNNN.log} named by the seq of their first record, and
 * {@code published} holding the highest seq the broker acknowledged (replaced atomically). A record is
 * {@code [int magic][int length][int crc32c][long seq][payload]}, little-endian, the CRC over seq and payload.
 * On open, the tail of the newest segment is scanned and anything after the last whole, checksummed record (a
 * write torn by a crash or power loss) is cut off; every record before it survives.
 *
 * <p>History: segments whose records were all published are deleted oldest first once the journal is larger than
 * its retention ({@code retainBytes}), so the journal also serves the result list across restarts
 * ({@link #newestFirst}); unpublished records are never deleted. Each segment's records are indexed in memory
 * (offset, verdict, hash of the result id; the tail's as it grows, older segments' on first use), so the publisher
 * and listings seek instead of scanning, and a walk for one verdict or one id reads only the records it wants.
 *
 * <p>Thread-safe. Appends are serialised; readers see only appended, forced records.
 */
public final class ResultJournal implements AutoCloseable {
    private static final int MAGIC = 0x4B4A524E; // "KJRN"
    private static final int HEADER = 4 + 4 + 4 + 8;
    private static final String SUFFIX = ".log";
    private static final String CURSOR = "published";

    /** Segment size of {@link #open(Path)}. */
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;

    private final Path dir;
    private final long segmentBytes;
    private final long retainBytes;
    /** first seq of each segment -> its file */
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    /** first seq of each sealed (not tail) segment -> its size in bytes */
    private final Map<Long, Long> sealedBytes = new HashMap<>();
    /** first seq of a sealed segment -> its records, indexed on first use */
    private final Map<Long, Index> sealedIndex = new HashMap<>();
    private FileChannel tail;
    /**
     * Where the tail ends, kept here for {@link #bytes()}: asking the channel would let an interrupted caller (the
     * publisher, stopped while it marks an entry published) close the file every later append needs.
     */
    private long tailEnd;
    private long tailFirstSeq;
    private Index tailIndex = new Index();
    private long lastSeq;
    private long published;
    private boolean closed;

    /**
     * Opens (creating if needed) a journal, recovering from a torn tail.
     *
     * @param segmentBytes roll to a new segment file after this many bytes
     * @param retainBytes  keep published segments while the journal is at most this large (0: delete each as soon
     *                     as all its records are published)
     */
    public static ResultJournal open(Path dir, long segmentBytes, long retainBytes) {
        try {
            Files.createDirectories(dir);
            return new ResultJournal(dir, segmentBytes, retainBytes);
        } catch (IOException e) {
            throw new KensaException("cannot open results journal " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A journal that deletes segments as soon as they are published (no history beyond the current segment). */
    public static ResultJournal open(Path dir, long segmentBytes) {
        return open(dir, segmentBytes, 0);
    }

    public static ResultJournal open(Path dir) {
        return open(dir, DEFAULT_SEGMENT_BYTES);
    }

    private ResultJournal(Path dir, long segmentBytes, long retainBytes) throws IOException {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.retainBytes = retainBytes;
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
            for (var sealed : segments.headMap(last.getKey()).entrySet()) {
                sealedBytes.put(sealed.getKey(), Files.size(sealed.getValue()));
            }
            tailFirstSeq = last.getKey();
            tail = FileChannel.open(last.getValue(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            Scan end = scan(tail, tailFirstSeq, true);
            lastSeq = end.lastSeq();
            tailIndex = end.index();
            if (tail.size() != end.end()) {
                tail.truncate(end.end());
                tail.force(true);
            }
            tail.position(end.end());
            tailEnd = end.end();
        }
        if (published > lastSeq) {
            published = lastSeq; // a cursor ahead of the data can only come from lost records; resend from the data
        }
        trim();
    }

    /** The verdicts an index stores as a byte (the ordinal). */
    private static final Verdict[] VERDICTS = Verdict.values();

    /**
     * A record's verdict as written ({@link Verdict#name()}); a name this version does not know (a journal written by
     * a later one) reads as ERROR: no judgement this version can make, and the part must not pass unseen.
     */
    private static Verdict verdictOf(String name) {
        for (Verdict v : VERDICTS) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return Verdict.ERROR;
    }

    /** What walks need of each record of one segment, kept in memory: offset, verdict, hash of the result id. */
    private static final class Index {
        long[] offsets = new long[256];
        byte[] verdicts = new byte[256];
        int[] idHashes = new int[256];
        int count;

        void add(long offset, String id, Verdict verdict) {
            if (count == offsets.length) {
                offsets = java.util.Arrays.copyOf(offsets, 2 * count);
                verdicts = java.util.Arrays.copyOf(verdicts, 2 * count);
                idHashes = java.util.Arrays.copyOf(idHashes, 2 * count);
            }
            offsets[count] = offset;
            verdicts[count] = (byte) verdict.ordinal();
            idHashes[count] = id.hashCode();
            count++;
        }

        /** The records so far, apart from later appends. */
        Index copy() {
            Index c = new Index();
            c.offsets = java.util.Arrays.copyOf(offsets, count);
            c.verdicts = java.util.Arrays.copyOf(verdicts, count);
            c.idHashes = java.util.Arrays.copyOf(idHashes, count);
            c.count = count;
            return c;
        }
    }

    /** What a scan of a segment found: its last whole seq (or first-1), the byte offset after it, its records. */
    private record Scan(long lastSeq, long end, Index index) {
    }

    /**
     * Scans a segment's records from its start up to the first that is not whole (and, with {@code checkCrc}, whose
     * checksum does not match): recovery of the tail checks every byte, indexing a sealed segment reads the header
     * and the start of each record (id, verdict).
     */
    private static Scan scan(FileChannel ch, long firstSeq, boolean checkCrc) throws IOException {
        long pos = 0;
        long seq = firstSeq - 1;
        long size = ch.size();
        Index index = new Index();
        while (pos + HEADER <= size) {
            ByteBuffer head = readHead(ch, pos, 256);
            int magic = head.getInt(0);
            int length = head.getInt(4);
            int crc = head.getInt(8);
            long s = head.getLong(12);
            if (magic != MAGIC || length < 0 || pos + HEADER + length > size || s != seq + 1) {
                break;
            }
            if (checkCrc) {
                ByteBuffer payload = ByteBuffer.allocate(length);
                readFully(ch, payload, pos + HEADER);
                if (crc(s, payload.array()) != crc) {
                    break;
                }
            }
            String id;
            Verdict verdict;
            try {
                Fields f = new Fields(ch, head, pos + HEADER, length);
                id = new String(f.next(), StandardCharsets.UTF_8);
                verdict = verdictOf(new String(f.next(), StandardCharsets.UTF_8));
            } catch (IOException malformed) {
                break;
            }
            index.add(pos, id, verdict);
            seq = s;
            pos += HEADER + length;
        }
        return new Scan(seq, pos, index);
    }

    /** Up to {@code extra} bytes after a record's header, with the header, in one read (less at the end of the file). */
    private static ByteBuffer readHead(FileChannel ch, long offset, int extra) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(HEADER + extra).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining() && ch.read(head, offset + head.position()) >= 0) {
            // until the buffer is full or the file ends
        }
        head.flip();
        if (head.remaining() < HEADER) {
            throw new IOException("journal record at byte " + offset + " is cut short");
        }
        return head;
    }

    private void openTail(long firstSeq) throws IOException {
        Path file = dir.resolve(String.format("%020d%s", firstSeq, SUFFIX));
        tail = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        tailFirstSeq = firstSeq;
        tailIndex = new Index();
        tailEnd = 0;
        segments.put(firstSeq, file);
        forceDirectory();
    }

    /** Closes the tail as a sealed segment (its index kept) and starts a new one after it. */
    private void roll() throws IOException {
        tail.force(true);
        sealedBytes.put(tailFirstSeq, tail.position());
        sealedIndex.put(tailFirstSeq, tailIndex.copy());
        tail.close();
        openTail(lastSeq + 1);
        trim();
    }

    /** The records of a segment: the tail's up to now, a sealed one's (indexed on first use). Under the lock. */
    private Index indexOf(long firstSeq) throws IOException {
        if (firstSeq == tailFirstSeq) {
            return tailIndex.copy();
        }
        Index index = sealedIndex.get(firstSeq);
        if (index == null) {
            try (FileChannel ch = FileChannel.open(segments.get(firstSeq), StandardOpenOption.READ)) {
                index = scan(ch, firstSeq, false).index();
            }
            sealedIndex.put(firstSeq, index);
        }
        return index;
    }

    /** Appends and forces to disk; returns the entries with their seq. One fsync for the whole list. */
    public synchronized List<JournalEntry> append(List<JournalEntry> entries) {
        ensureOpen();
        List<JournalEntry> out = new ArrayList<>(entries.size());
        try {
            for (JournalEntry e : entries) {
                if (tail.position() >= segmentBytes) {
                    roll();
                }
                long seq = lastSeq + 1;
                byte[] payload = encode(e);
                ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
                buf.putInt(MAGIC).putInt(payload.length).putInt(crc(seq, payload)).putLong(seq).put(payload).flip();
                long offset = tail.position();
                while (buf.hasRemaining()) {
                    tail.write(buf);
                }
                tailEnd = offset + HEADER + payload.length;
                tailIndex.add(offset, e.id(), e.verdict());
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
                // under the lock the tail's index cannot grow: no copy needed
                Index index = seg.getKey() == tailFirstSeq ? tailIndex : indexOf(seg.getKey());
                try (FileChannel ch = FileChannel.open(seg.getValue(), StandardOpenOption.READ)) {
                    for (int i = (int) Math.max(0, fromSeq - seg.getKey()); i < index.count && out.size() < max; i++) {
                        out.add(readEntry(ch, index.offsets[i]));
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

    private static JournalEntry readEntry(FileChannel ch, long offset) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, header, offset);
        header.flip();
        header.getInt();
        int length = header.getInt();
        header.getInt();
        long seq = header.getLong();
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(ch, payload, offset + HEADER);
        return decode(seq, payload.array());
    }

    /** A journalled result as a listing needs it: everything but the heatmap. */
    public record Listed(long seq, String id, Verdict verdict, byte[] json) {
    }

    /**
     * Walks the journal newest first, handing {@code visitor} each entry whose verdict {@code verdict} accepts, until
     * the visitor returns false or the oldest retained entry is passed. Reads only the wanted records (the index
     * knows every verdict), and of them the id, verdict and result JSON, never a heatmap; appends go on meanwhile
     * (the walk sees the journal as it was when it began, and ends early where retention deleted a segment under it).
     * The first walk that reaches an older segment indexes it (one small read per record, once per process).
     */
    public void newestFirst(java.util.function.Predicate<Verdict> verdict, java.util.function.Predicate<Listed> visitor) {
        walk(verdict, null, visitor);
    }

    /** The newest entry with this result id, heatmap included, or null. */
    public JournalEntry findById(String id) {
        long[] found = {-1};
        walk(v -> true, id, e -> {
            if (e.id().equals(id)) {
                found[0] = e.seq();
                return false;
            }
            return true; // another id with the same hash
        });
        if (found[0] < 0) {
            return null;
        }
        List<JournalEntry> r = read(found[0], 1);
        return r.isEmpty() || r.get(0).seq() != found[0] ? null : r.get(0);
    }

    /** Newest first over the records whose verdict is wanted (and, with {@code id}, whose id hash matches it). */
    private void walk(java.util.function.Predicate<Verdict> verdict, String id, java.util.function.Predicate<Listed> visitor) {
        List<Map.Entry<Long, Path>> segs;
        synchronized (this) {
            ensureOpen();
            segs = new ArrayList<>(segments.descendingMap().entrySet());
        }
        boolean[] wanted = new boolean[VERDICTS.length];
        for (int v = 0; v < wanted.length; v++) {
            wanted[v] = verdict.test(VERDICTS[v]);
        }
        int hash = id == null ? 0 : id.hashCode();
        for (var seg : segs) {
            Index index;
            synchronized (this) { // a sealed segment is indexed when a walk first reaches it
                if (closed || !segments.containsKey(seg.getKey())) {
                    return; // retention removed it meanwhile: the walk ends there
                }
                try {
                    index = indexOf(seg.getKey());
                } catch (IOException ex) {
                    throw new UncheckedIOException("results journal " + dir + ": read failed: " + ex.getMessage(), ex);
                }
            }
            FileChannel ch = null;
            try {
                for (int i = index.count - 1; i >= 0; i--) {
                    byte v = index.verdicts[i];
                    if (!wanted[v] || id != null && index.idHashes[i] != hash) {
                        continue; // known from the index: no need to read it
                    }
                    if (ch == null) {
                        ch = FileChannel.open(seg.getValue(), StandardOpenOption.READ);
                    }
                    Listed e = readListed(ch, index.offsets[i], verdict);
                    if (e != null && !visitor.test(e)) {
                        return;
                    }
                }
            } catch (java.nio.file.NoSuchFileException deleted) {
                return;
            } catch (IOException ex) {
                throw new UncheckedIOException("results journal " + dir + ": read failed: " + ex.getMessage(), ex);
            } finally {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // read-only channel
                    }
                }
            }
        }
    }

    /** Seq of the oldest entry still in the journal; {@code lastSeq() + 1} when it holds none. */
    public synchronized long firstSeq() {
        return segments.isEmpty() ? lastSeq + 1 : Math.min(segments.firstKey(), lastSeq + 1);
    }

    /** Bytes of all segments, the tail included. */
    public synchronized long bytes() {
        long total = tail == null ? 0 : tailEnd;
        for (long b : sealedBytes.values()) {
            total += b;
        }
        return total;
    }

    /** The listing part of the record at {@code offset}, or null when its verdict is not wanted. */
    private static Listed readListed(FileChannel ch, long offset, java.util.function.Predicate<Verdict> verdict) throws IOException {
        // the header and the start of the payload (id, verdict, usually the whole JSON) in one read
        ByteBuffer head = readHead(ch, offset, 2048);
        int length = head.getInt(4);
        long seq = head.getLong(12);
        Fields payload = new Fields(ch, head, offset + HEADER, length);
        String id = new String(payload.next(), StandardCharsets.UTF_8);
        Verdict v = verdictOf(new String(payload.next(), StandardCharsets.UTF_8));
        if (!verdict.test(v)) {
            return null;
        }
        return new Listed(seq, id, v, payload.next());
    }

    /**
     * The length-prefixed fields of a record's payload, in order: from the bytes already read where they are there,
     * else from the file; never past the payload's length.
     */
    private static final class Fields {
        private final FileChannel ch;
        private final ByteBuffer head;
        private final long start;
        private final int length;
        private int pos;

        Fields(FileChannel ch, ByteBuffer head, long start, int length) {
            this.ch = ch;
            this.head = head;
            this.start = start;
            this.length = length;
        }

        byte[] next() throws IOException {
            int n = ByteBuffer.wrap(take(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (n < 0) {
                throw new IOException("journal record at byte " + (start - HEADER) + " has a negative field length");
            }
            return take(n);
        }

        private byte[] take(int n) throws IOException {
            if ((long) pos + n > length) {
                throw new IOException("journal record at byte " + (start - HEADER) + " has a field beyond its end");
            }
            byte[] out = new byte[n];
            int fromHead = Math.max(0, Math.min(n, head.limit() - HEADER - pos));
            if (fromHead > 0) {
                head.get(HEADER + pos, out, 0, fromHead);
            }
            if (fromHead < n) {
                readFully(ch, ByteBuffer.wrap(out, fromHead, n - fromHead).slice(), start + pos + fromHead);
            }
            pos += n;
            return out;
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
            trim();
        } catch (IOException ex) {
            throw new UncheckedIOException("results journal " + dir + ": cannot save the published cursor: " + ex.getMessage(), ex);
        }
    }

    /**
     * Deletes the oldest segments while every record in them is published and the journal is larger than its
     * retention; the tail and anything unpublished stay.
     */
    private void trim() throws IOException {
        long total = bytes();
        while (segments.size() > 1 && total > retainBytes) {
            var first = segments.firstEntry();
            Long next = segments.higherKey(first.getKey());
            // a segment is done when the next segment starts at or below published + 1
            if (next == null || next - 1 > published) {
                break;
            }
            Files.deleteIfExists(first.getValue());
            segments.remove(first.getKey());
            Long size = sealedBytes.remove(first.getKey());
            sealedIndex.remove(first.getKey());
            total -= size == null ? 0 : size;
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
        byte[] verdict = e.verdict().name().getBytes(StandardCharsets.UTF_8);
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
        Verdict verdict = verdictOf(new String(bytes(b), StandardCharsets.UTF_8));
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
