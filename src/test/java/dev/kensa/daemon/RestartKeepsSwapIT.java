package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.bundle.BundleWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restart must not silently undo a hot swap (issue 15 item 3), with the commands README.md's quick start gives,
 * read from the README so this test breaks when they change: the first run ({@code serve --model ...}), a swap over
 * HTTP, the "next time" command (still the swapped model), and the first-run command again (it replaces the active
 * model, loudly, keeping it for rollback). Run through {@code bin/kensa} in a directory laid out like a checkout.
 */
class RestartKeepsSwapIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "token-of-the-restart-test";

    @TempDir
    Path tmp;

    /** The README's {@code <!-- runnable: daemon ... -->} commands: [first one with --model, first after "Next time"]. */
    static List<String> quickStartServeCommands() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        String firstRun = null;
        String nextTime = null;
        boolean afterNextTime = false;
        for (int i = 0; i < lines.size(); i++) {
            afterNextTime |= lines.get(i).contains("Next time");
            if (lines.get(i).startsWith("<!-- runnable: daemon") && i + 2 < lines.size() && lines.get(i + 1).startsWith("```")) {
                String cmd = lines.get(i + 2).strip();
                if (firstRun == null && cmd.contains("--model")) {
                    firstRun = cmd;
                } else if (afterNextTime && nextTime == null) {
                    nextTime = cmd;
                }
            }
        }
        assertNotNull(firstRun, "README.md: no daemon block with serve --model");
        assertNotNull(nextTime, "README.md: no daemon block after 'Next time'");
        return List.of(firstRun, nextTime);
    }

    Daemon run(String readmeCommand, Path checkout, int port, String name) throws Exception {
        assertTrue(readmeCommand.startsWith("bin/kensa serve"), readmeCommand);
        List<String> cmd = new ArrayList<>(List.of(Path.of("bin/kensa").toAbsolutePath().toString()));
        cmd.addAll(List.of(readmeCommand.substring("bin/kensa ".length()).split("\\s+")));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("KENSA_MQTT_EMBEDDED", "false");
        env.put("KENSA_API_TOKEN_FILE", checkout.resolve("api.token").toString());
        env.put("JAVA_OPTS", "-Xmx768m");
        return Daemon.launch(cmd, env, checkout, tmp.resolve(name + ".log"), port, "/q/health/ready", Duration.ofSeconds(90));
    }

    static JsonNode model(Daemon d) throws Exception {
        return JSON.readTree(d.get("/api/v1/model").body());
    }

    @Test
    void theDocumentedRestartKeepsTheSwappedModelAndServeModelReplacesItLoudly() throws Exception {
        List<String> readme = quickStartServeCommands();
        Path checkout = Files.createDirectories(tmp.resolve("checkout"));
        Path a = TinyBundle.fit(tmp, "a", 0);
        Path b = TinyBundle.fit(tmp, "b", 12);
        // the quick start's bundle where the README's commands expect it
        Files.createDirectories(checkout.resolve("data/models"));
        Files.move(a, checkout.resolve("data/models/bottle"));
        String shaA = ModelLifecycleIT.sha(checkout.resolve("data/models/bottle"));
        String shaB = ModelLifecycleIT.sha(b);
        Path zipB = tmp.resolve("b.zip");
        BundleWriter.zip(b, zipB);
        Path token = checkout.resolve("api.token");
        Files.writeString(token, TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        int port = Daemon.freePort();

        try (Daemon d = run(readme.get(0), checkout, port, "first-run")) {
            assertEquals(shaA, model(d).path("active").path("sha256").asText());
            HttpResponse<String> swap = d.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/model"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/zip")
                    .PUT(HttpRequest.BodyPublishers.ofFile(zipB)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, swap.statusCode(), swap.body());
            int exit = d.terminate();
            assertTrue(exit == 0 || exit == 143, "exit " + exit);
        }
        try (Daemon d = run(readme.get(1), checkout, port, "next-time")) {
            assertEquals(shaB, model(d).path("active").path("sha256").asText(),
                    "README's next-time command (" + readme.get(1) + ") brought back the model the swap replaced");
            d.terminate();
        }
        try (Daemon d = run(readme.get(0), checkout, port, "first-run-again")) {
            JsonNode m = model(d);
            assertEquals(shaA, m.path("active").path("sha256").asText(), "serve --model serves the bundle it names");
            assertEquals(shaB, m.path("previous").path("sha256").asText(), "the replaced model is kept for rollback");
            String log = Files.readString(d.log);
            assertTrue(log.contains("WARN") && log.contains("REPLACING THE ACTIVE MODEL"), log);
            d.terminate();
        }
    }
}
