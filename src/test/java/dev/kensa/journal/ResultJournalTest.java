package dev.kensa.journal;

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
        return new JournalEntry(0, "id-" + i, i % 2 == 0 ? "OK" : "NG",
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

    @Test
    void awaitWakesOnAppend(@TempDir Path dir) throws Exception {
        try (ResultJournal j = ResultJournal.open(dir)) {
            Thread writer = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ignored) {
                    return;
                }
                j.append(entry(1));
            });
            writer.start();
            assertTrue(j.awaitAfter(0, 5000));
            writer.join();
            assertEquals(false, j.awaitAfter(1, 50));
        }
    }

    static long countSegments(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".log")).count();
        }
    }
}
