package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.TestData;
import dev.kensa.fit.BundleFitter;
import dev.kensa.fit.FitOptions;
import dev.kensa.journal.JournalEntry;
import dev.kensa.journal.ResultJournal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged daemon as a process: real HTTP, real images, real SIGKILL. */
class ServeIT {
    @TempDir
    static Path tmp;
    static Path bundle;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void fit() throws Exception {
        Path train = Files.createDirectories(tmp.resolve("train"));
        try (var s = Files.list(TestData.bottleTrain())) {
            for (Path p : s.sorted().limit(12).toList()) {
                Files.copy(p, train.resolve(p.getFileName()));
            }
        }
        bundle = BundleFitter.fit(FitOptions.defaults(train, TestData.backbone(), tmp.resolve("bundle")), false).bundle().dir();
    }

    static byte[] image(String type, int i) throws Exception {
        return Files.readAllBytes(TestData.bottle().resolve("test").resolve(type).resolve(String.format("%03d.png", i)));
    }

    @Test
    void inspectsOverHttpAndJournalsEveryResultIncludingErrors() throws Exception {
        Path journal = tmp.resolve("journal-http");
        List<String> ids = new ArrayList<>();
        try (Daemon d = Daemon.start(tmp.resolve("run1"), bundle, journal)) {
            JsonNode ready = JSON.readTree(d.get("/q/health/ready").body());
            assertEquals("UP", ready.get("status").asText());

            HttpResponse<String> ng = d.inspect(image("broken_large", 0));
            assertEquals(200, ng.statusCode(), ng.body());
            JsonNode r = JSON.readTree(ng.body());
            assertEquals("NG", r.get("verdict").asText());
            assertTrue(r.get("normalizedScore").asDouble() > 1);
            assertTrue(r.get("regions").size() > 0);
            ids.add(r.get("id").asText());

            HttpResponse<String> bad = d.inspect("not an image at all".getBytes());
            assertEquals(422, bad.statusCode(), bad.body());
            JsonNode e = JSON.readTree(bad.body());
            assertEquals("ERROR", e.get("verdict").asText());
            assertTrue(e.get("error").asText().contains("cannot decode"), e.toString());
            ids.add(e.get("id").asText());

            // the daemon keeps serving after a bad image
            HttpResponse<String> ok = d.inspect(image("good", 1));
            assertEquals(200, ok.statusCode());
            ids.add(JSON.readTree(ok.body()).get("id").asText());
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            List<JournalEntry> all = j.read(1, 100);
            assertEquals(ids, all.stream().map(JournalEntry::id).toList());
            assertEquals("NG", all.get(0).verdict());
            assertTrue(all.get(0).heatmap().length > 1000, "NG result journalled with its heatmap");
            assertEquals("ERROR", all.get(1).verdict());
        }
    }

    @Test
    void sigkillMidStreamLosesNoAnsweredResult() throws Exception {
        Path journal = tmp.resolve("journal-kill");
        List<String> answered = new ArrayList<>();
        Daemon d = Daemon.start(tmp.resolve("run2"), bundle, journal);
        Thread client = new Thread(() -> {
            try {
                for (int i = 0; i < 60; i++) {
                    HttpResponse<String> r = d.inspect(image(i % 2 == 0 ? "good" : "broken_small", i % 19));
                    synchronized (answered) {
                        answered.add(JSON.readTree(r.body()).get("id").asText());
                    }
                }
            } catch (Exception expected) {
                // the daemon was killed under us
            }
        });
        client.start();
        while (true) {
            synchronized (answered) {
                if (answered.size() >= 12) {
                    break;
                }
            }
            Thread.sleep(20);
        }
        d.kill();
        client.join(10_000);
        List<String> before;
        synchronized (answered) {
            before = List.copyOf(answered);
        }
        assertTrue(before.size() >= 12 && before.size() < 60, "killed mid-stream after " + before.size());
        // restart on the same journal (recovers a torn tail), inspect one more, stop
        try (Daemon again = Daemon.start(tmp.resolve("run3"), bundle, journal)) {
            assertEquals(200, again.inspect(image("good", 2)).statusCode());
        }
        try (ResultJournal j = ResultJournal.open(journal)) {
            Set<String> journalled = new HashSet<>();
            j.read(1, 1000).forEach(e -> journalled.add(e.id()));
            for (String id : before) {
                assertTrue(journalled.contains(id), "answered result " + id + " missing from the journal after SIGKILL");
            }
            assertTrue(journalled.size() >= before.size() + 1);
        }
    }
}
