package dev.kensa.journal;

import dev.kensa.verdict.Verdict;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultJournalTest {

    static JournalEntry entry(int i) {
        byte[] heat = new byte[i % 3 == 0 ? 0 : 100 + i];
        java.util.Arrays.fill(heat, (byte) i);
        return new JournalEntry(0, "id-" + i, i % 2 == 0 ? Verdict.OK : Verdict.NG,
                ("{\"id\":\"id-" + i + "\"}").getBytes(StandardCharsets.UTF_8), heat);
    }

    @Test
    void appendsReadBackInOrderAcrossSegmentsAndReopen(@TempDir Path dir) {
        try (ResultJournal j = ResultJournal.open(dir, 1000)) { // tiny segments: many rolls
            List<JournalEntry> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                batch.add(entry(i));
            }
            List<JournalEntry> written = j.append(batch.subList(0, 25));
            j.append(batch.subList(25, 40));
            assertEquals(1, written.get(0).seq());
            assertEquals(40, j.lastSeq());
            assertEquals(40, j.backlog());
        }
        try (ResultJournal j = ResultJournal.open(dir, 1000)) {
            List<JournalEntry> all = j.read(1, 100);
            assertEquals(40, all.size());
            for (int i = 0; i < 40; i++) {
                assertEquals(i + 1, all.get(i).seq());
                assertEquals("id-" + i, all.get(i).id());
                assertArrayEquals(entry(i).json(), all.get(i).json());
                assertArrayEquals(entry(i).heatmap(), all.get(i).heatmap());
            }
            assertEquals(5, j.read(36, 100).size());
            assertEquals(3, j.read(10, 3).size());
            assertEquals(10, j.read(10, 3).get(0).seq());
        }
    }

    @Test
    void tornTailFromACrashIsCutAndEverythingBeforeItSurvives(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir)) {
            for (int i = 0; i < 10; i++) {
                j.append(entry(i));
            }
        }
        Path segment;
        try (Stream<Path> s = Files.list(dir)) {
            segment = s.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        long size = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(size - 7); // the last record half written
        }
        try (ResultJournal j = ResultJournal.open(dir)) {
            assertEquals(9, j.lastSeq());
            assertEquals(9, j.read(1, 100).size());
            JournalEntry next = j.append(entry(99));
            assertEquals(10, next.seq(), "the torn record's seq is reused by the next append");
        }
        try (ResultJournal j = ResultJournal.open(dir)) {
            assertEquals("id-99", j.read(10, 1).get(0).id());
        }
    }

    @Test
    void corruptedRecordEndsTheJournalThere(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir)) {
            for (int i = 0; i < 5; i++) {
                j.append(entry(i));
            }
        }
        Path segment;
        try (Stream<Path> s = Files.list(dir)) {
            segment = s.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(segment);
        b[b.length - 3] ^= 0x55; // flip bits inside the last record's payload: its CRC no longer matches
        Files.write(segment, b);
        try (ResultJournal j = ResultJournal.open(dir)) {
            assertEquals(4, j.lastSeq());
        }
    }

    @Test
    void publishedCursorSurvivesReopenAndOldSegmentsAreDropped(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir, 500)) {
            for (int i = 0; i < 30; i++) {
                j.append(entry(i));
            }
            long segmentsBefore = countSegments(dir);
            j.markPublished(25);
            assertEquals(5, j.backlog());
            assertTrue(countSegments(dir) < segmentsBefore, "fully published segments are deleted");
            assertEquals(26, j.read(26, 10).get(0).seq(), "unpublished entries stay readable");
        }
        try (ResultJournal j = ResultJournal.open(dir, 500)) {
            assertEquals(25, j.publishedSeq());
            assertEquals(30, j.lastSeq());
            assertEquals(5, j.read(j.publishedSeq() + 1, 100).size());
        }
    }

    /** A result JSON longer than the listing's first read for every seventh entry. */
    static JournalEntry bigEntry(int i) {
        JournalEntry e = entry(i);
        if (i % 7 != 3) {
            return e;
        }
        String json = "{\"id\":\"id-" + i + "\",\"pad\":\"" + "x".repeat(5000) + "\"}";
        return new JournalEntry(0, e.id(), e.verdict(), json.getBytes(StandardCharsets.UTF_8), e.heatmap());
    }

    static List<ResultJournal.Listed> listAll(ResultJournal j, Verdict verdict) {
        List<ResultJournal.Listed> out = new ArrayList<>();
        j.newestFirst(v -> verdict == null || verdict == v, e -> out.add(e));
        return out;
    }

    @Test
    void newestFirstListsTheWholeJournalAcrossSegmentsAndARestart(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir, 3000, 1L << 30)) {
            for (int i = 0; i < 40; i++) {
                j.append(bigEntry(i));
            }
            j.markPublished(40); // published, but within the retention: the history stays
        }
        try (ResultJournal j = ResultJournal.open(dir, 3000, 1L << 30)) { // after a restart
            assertTrue(countSegments(dir) > 5, "many segments");
            List<ResultJournal.Listed> all = listAll(j, null);
            assertEquals(40, all.size());
            for (int k = 0; k < 40; k++) {
                int i = 39 - k;
                assertEquals(i + 1, all.get(k).seq(), "newest first");
                assertEquals("id-" + i, all.get(k).id());
                assertArrayEquals(bigEntry(i).json(), all.get(k).json(), "JSON of entry " + i);
            }
            List<ResultJournal.Listed> ng = listAll(j, Verdict.NG);
            assertEquals(20, ng.size());
            assertTrue(ng.stream().allMatch(e -> e.verdict() == Verdict.NG));
            List<Long> firstFive = new ArrayList<>();
            j.newestFirst(v -> true, e -> {
                firstFive.add(e.seq());
                return firstFive.size() < 5;
            });
            assertEquals(List.of(40L, 39L, 38L, 37L, 36L), firstFive, "the walk stops when told");
            j.append(entry(99)); // appends go on after a walk, and the next walk sees them
            assertEquals(41, listAll(j, null).get(0).seq());
            JournalEntry found = j.findById("id-4");
            assertEquals(5, found.seq());
            assertArrayEquals(entry(4).heatmap(), found.heatmap());
            assertEquals(1, j.findById("id-0").seq());
            assertEquals(null, j.findById("nope"));
        }
    }

    @Test
    void walksTellIdsWithTheSameHashApart(@TempDir Path dir) throws Exception {
        assertEquals("Aa".hashCode(), "BB".hashCode());
        try (ResultJournal j = ResultJournal.open(dir, 400, 1L << 20)) {
            j.append(new JournalEntry(0, "Aa", Verdict.OK, "{\"id\":\"Aa\"}".getBytes(StandardCharsets.UTF_8), new byte[]{1}));
            for (int i = 0; i < 10; i++) {
                j.append(entry(i));
            }
            j.append(new JournalEntry(0, "BB", Verdict.ERROR, "{\"id\":\"BB\"}".getBytes(StandardCharsets.UTF_8), new byte[]{2}));
        }
        try (ResultJournal j = ResultJournal.open(dir, 400, 1L << 20)) {
            assertEquals("Aa", j.findById("Aa").id());
            assertArrayEquals(new byte[]{1}, j.findById("Aa").heatmap());
            assertEquals("BB", j.findById("BB").id());
            List<ResultJournal.Listed> errors = listAll(j, Verdict.ERROR);
            assertEquals(1, errors.size());
            assertEquals("BB", errors.get(0).id());
            assertEquals(12, listAll(j, null).size());
        }
    }

    @Test
    void publishedHistoryIsKeptUpToTheRetentionAndUnpublishedResultsAlways(@TempDir Path dir) throws Exception {
        long retain = 3000;
        try (ResultJournal j = ResultJournal.open(dir, 1000, retain)) {
            for (int i = 0; i < 60; i++) {
                j.append(entry(i));
            }
            long before = j.bytes();
            assertTrue(before > 2 * retain, "written " + before);
            assertEquals(1, j.firstSeq(), "nothing published: nothing deleted, whatever the size");
            j.markPublished(50);
            assertTrue(j.firstSeq() > 1, "published segments beyond the retention are deleted");
            assertTrue(j.bytes() <= retain + 1000, "down to the retention (within a segment): " + j.bytes());
            assertTrue(j.firstSeq() <= 51, "unpublished results stay: first " + j.firstSeq());
            List<ResultJournal.Listed> all = listAll(j, null);
            assertEquals(60 - j.firstSeq() + 1, all.size(), "the walk lists exactly what is retained");
            assertEquals(j.firstSeq(), all.get(all.size() - 1).seq());
        }
        try (ResultJournal j = ResultJournal.open(dir, 1000, 0)) { // retention lowered: trimmed at open
            assertTrue(countSegments(dir) <= 2, "only the segments holding unpublished results remain");
            assertTrue(j.firstSeq() <= 51 && j.firstSeq() > 40, "first " + j.firstSeq());
            assertEquals(10, j.read(51, 100).size());
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void awaitWakesOnAppend(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir)) {
            Thread reader = Thread.currentThread();
            Thread writer = new Thread(() -> {
                // append only once the reader waits inside awaitAfter (it holds the journal's lock until it waits), so
                // the append is what must wake it; no sleep guessing how long that takes
                org.awaitility.Awaitility.await("the reader waiting").atMost(java.time.Duration.ofSeconds(30))
                        .pollInterval(java.time.Duration.ofMillis(5))
                        .until(() -> reader.getState() == Thread.State.TIMED_WAITING);
                j.append(entry(1));
            });
            writer.setDaemon(true);
            writer.start();
            // a wait the append did not wake would run into the test's timeout, long before its own 120 s
            assertTrue(j.awaitAfter(0, 120_000));
            writer.join(30_000);
            assertEquals(1, j.lastSeq());
            assertEquals(false, j.awaitAfter(1, 50));
        }
    }

    /**
     * The publisher is stopped with an interrupt, perhaps while it marks an entry published, which asks the journal's
     * size: that must not close the file every later append needs (an interrupted thread touching a FileChannel closes
     * it).
     */
    @Test
    void aCallerInterruptedWhileAskingTheSizeLeavesTheJournalWorking(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir)) {
            j.append(entry(1));
            long size = j.bytes();
            java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong(-1);
            Thread interrupted = new Thread(() -> {
                Thread.currentThread().interrupt();
                seen.set(j.bytes());
            });
            interrupted.start();
            interrupted.join(30_000);
            assertEquals(size, seen.get());
            j.append(entry(2));
            assertEquals(2, j.read(1, 10).size());
        }
    }

    static long countSegments(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".log")).count();
        }
    }
}
