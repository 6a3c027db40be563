package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.bundle.BundleWriter;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon started the way {@code systemd/kensa.service} starts it on a box (issue 15 item 1): the unit's
 * WorkingDirectory, Environment and ExecStart lines, parsed from the file so this test breaks when the unit drifts,
 * run through {@code bin/kensa} as an unprivileged user, with the configuration and install directories read-only
 * (ProtectSystem=strict), homes hidden (ProtectHome) and only the StateDirectory writable. systemd itself is not
 * PID 1 here: a mount namespace ({@code unshare -m}, root only) gives each path the access the unit gives it.
 * <p>
 * A fresh box has no model: the daemon must come up, not ready, and say how to install one; a bundle uploaded over
 * HTTP is installed into the state directory; SIGTERM is a clean stop for the unit; a restart comes back on it.
 */
class SystemdUnitIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "token-of-the-systemd-unit-test";
    /** The unit's paths, mapped into this test's own tree. */
    static final List<String> UNIT_ROOTS = List.of("/opt/kensa", "/etc/kensa", "/var/lib/kensa");
    /** An unprivileged user (Debian's nobody/nogroup), as User=kensa would be. */
    static final int UID = 65534;

    @TempDir
    Path tmp;

    /** The [Service] section's settings: key to every value it is given, in order. */
    static Map<String, List<String>> service(Path unitFile) throws Exception {
        Map<String, List<String>> m = new LinkedHashMap<>();
        boolean inService = false;
        for (String raw : Files.readAllLines(unitFile)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                inService = line.equals("[Service]");
                continue;
            }
            int eq = line.indexOf('=');
            if (inService && eq > 0) {
                m.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
            }
        }
        return m;
    }

    /** systemd's word splitting: whitespace separates, double quotes group. */
    static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(value);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out;
    }

    static String one(Map<String, List<String>> unit, String key) {
        List<String> v = unit.get(key);
        Assertions.assertNotNull(v, "systemd/kensa.service has no " + key + "=");
        return v.get(v.size() - 1);
    }

    /** A unit path in this test's tree: /var/lib/kensa/x -> tmp/var/lib/kensa/x. */
    String mapped(String s) {
        for (String root : UNIT_ROOTS) {
            s = s.replace(root, tmp + root);
        }
        return s;
    }

    static void requireRootAndUnshare() throws Exception {
        String why = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            why = "needs root for a mount namespace (unshare -m)";
        } else {
            Process unshare = new ProcessBuilder("unshare", "-m", "true").start();
            if (!unshare.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || unshare.exitValue() != 0) {
                unshare.destroyForcibly();
                why = "unshare -m does not work here";
            }
        }
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail("the systemd unit test " + why);
            }
            Assumptions.abort(why);
        }
    }

    @Test
    void startsAsTheUnitStartsItWithStateOnlyInTheStateDirectoryAndSurvivesARestart() throws Exception {
        requireRootAndUnshare();
        Map<String, List<String>> unit = service(Path.of("systemd/kensa.service"));
        // the GPU's device nodes stay visible (PrivateDevices=true hid them); everything else stays closed
        assertTrue(unit.getOrDefault("PrivateDevices", List.of("false")).stream().noneMatch(v -> v.matches("(?i)true|yes|1|on")),
                "PrivateDevices hides /dev/nvidia*: every GPU box would run on the CPU");
        assertEquals("closed", one(unit, "DevicePolicy"));
        String allowed = String.join(" ", unit.get("DeviceAllow"));
        for (String gpu : List.of("char-nvidia-frontend", "char-nvidia-uvm", "char-nvhost-*", "/dev/nvmap")) {
            assertTrue(allowed.contains(gpu), "DeviceAllow lacks " + gpu + ": " + allowed);
        }
        String stateDirectory = "/var/lib/" + one(unit, "StateDirectory");
        assertEquals("/var/lib/kensa", stateDirectory, "the unit's paths below assume StateDirectory=kensa");

        // the box: the install (bin/kensa + quarkus-app) and /etc/kensa as README "Deploy to a box" makes them
        Path opt = Files.createDirectories(Path.of(mapped("/opt/kensa")));
        Files.createDirectories(opt.resolve("bin"));
        Files.copy(Path.of("bin/kensa"), opt.resolve("bin/kensa"), StandardCopyOption.COPY_ATTRIBUTES);
        Path app = Path.of(System.getProperty("kensa.runner", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath().getParent();
        Files.createDirectories(opt.resolve("quarkus-app"));
        Path etc = Files.createDirectories(Path.of(mapped("/etc/kensa")));
        Path state = Files.createDirectories(Path.of(mapped(stateDirectory)));
        int port = Daemon.freePort();
        run("chmod", "-R", "go+rX", tmp.toString());
        Path token = etc.resolve("api.token");
        Files.writeString(token, TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r-----"));
        run("chown", "root:" + UID, token.toString()); // group kensa reads it, others do not
        List<String> own = List.of("quarkus.http.host=127.0.0.1", "quarkus.http.port=" + port,
                "kensa.mqtt.embedded-port=" + Daemon.freePort(), // the embedded broker keeps its data in the state dir
                "kensa.api.token-file=" + token,
                "kensa.device-id=unit-test-box");
        List<String> config = new ArrayList<>(); // the shipped file, with the test box's own values for these keys
        for (String line : Files.readAllLines(Path.of("config/application.properties"))) {
            if (own.stream().noneMatch(o -> line.startsWith(o.substring(0, o.indexOf('=') + 1)))) {
                config.add(line);
            }
        }
        config.addAll(own);
        Files.write(etc.resolve("application.properties"), config);
        run("chown", UID + ":" + UID, state.toString()); // systemd gives User= its StateDirectory

        // the unit's lines, as systemd would run them (clean environment, its default PATH, STATE_DIRECTORY)
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", "/nonexistent");
        env.put("LANG", "C.UTF-8");
        env.put("STATE_DIRECTORY", mapped(stateDirectory));
        for (String line : unit.getOrDefault("Environment", List.of())) {
            for (String assignment : words(line)) {
                int eq = assignment.indexOf('=');
                env.put(assignment.substring(0, eq), mapped(assignment.substring(eq + 1)));
            }
        }
        List<String> execStart = new ArrayList<>();
        for (String w : words(one(unit, "ExecStart"))) {
            assertTrue(!w.contains("$"), "ExecStart variables are not expanded by this test: " + w);
            execStart.add(mapped(w));
        }
        assertTrue(execStart.get(0).startsWith(opt.toString()), "ExecStart runs the installed launcher: " + execStart);
        Path workDir = Path.of(mapped(one(unit, "WorkingDirectory")));
        Set<Integer> success = new TreeSet<>(Set.of(0));
        for (String v : unit.getOrDefault("SuccessExitStatus", List.of())) {
            for (String w : words(v)) {
                success.add(Integer.parseInt(w));
            }
        }

        // ProtectSystem=strict: the tree read-only but the state dir; ProtectHome: homes hidden; then User=
        String namespace = String.join("\n",
                "set -eu",
                "mount --bind \"$STATE\" \"$STATE\"",
                "mount --bind \"$APP\" \"$OPT/quarkus-app\"",
                "mount --rbind \"$ROOT\" \"$ROOT\"",
                "mount -o remount,ro,bind \"$ROOT\"",
                "mount -o remount,ro,bind \"$OPT/quarkus-app\"",
                "mount -t tmpfs -o ro,mode=0755 tmpfs /root",
                "if [ -d /home ]; then mount -t tmpfs -o ro,mode=0755 tmpfs /home; fi",
                "cd \"$WORKDIR\"",
                "exec setpriv --reuid=" + UID + " --regid=" + UID + " --clear-groups env -i \"$@\"");
        List<String> cmd = new ArrayList<>(List.of("env", "ROOT=" + tmp, "STATE=" + state, "APP=" + app, "OPT=" + opt,
                "WORKDIR=" + workDir, "unshare", "-m", "sh", "-c", namespace, "sh"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(execStart);
        Path bundle = TinyBundle.fit(tmp.resolve("fit"));
        Path zip = tmp.resolve("fit/bundle.zip");
        BundleWriter.zip(bundle, zip);
        String sha = ModelLifecycleIT.sha(bundle);

        // 1. a fresh box: no model, so live but not ready, saying in words how to install one
        int exit;
        Daemon d = Daemon.launch(cmd, null, tmp, tmp.resolve("journal-1.log"), port, "/q/health/live", Duration.ofSeconds(90));
        try {
            // live before the model store is opened
            Daemon fresh = d;
            HttpResponse<String> ready = dev.kensa.testing.Wait.until("the model store opened", java.time.Duration.ofSeconds(60),
                    java.time.Duration.ofMillis(200), () -> fresh.get("/q/health/ready"), r -> !r.body().contains("starting"));
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("no model installed") && ready.body().contains("PUT /api/v1/model"), ready.body());
            JsonNode status = JSON.readTree(d.get("/api/v1/status").body());
            assertEquals("unit-test-box", status.path("deviceId").asText(), "the configuration in /etc/kensa is read");
            assertTrue(status.path("modelProblem").asText().startsWith("no model installed"), status.toString());
            assertTrue(Files.readString(d.log).contains("not ready: no model installed"), Files.readString(d.log));

            // the first bundle, as README "Deploy to a box" installs it
            HttpResponse<String> put = d.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/model"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/zip")
                    .PUT(HttpRequest.BodyPublishers.ofFile(zip)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body() + "\n" + Files.readString(d.log));
            assertEquals(200, d.get("/q/health/ready").statusCode());
            status = JSON.readTree(d.get("/api/v1/status").body());
            assertTrue(status.path("backend").asText().contains("cpu-vector"),
                    "the unit runs the Vector API kernels (--add-modules jdk.incubator.vector): " + status.path("backend"));
            assertEquals(200, d.inspect(TinyBundle.image("good", 0)).statusCode());
        } finally {
            exit = d.terminate();
        }
        assertTrue(success.contains(exit), "SIGTERM ended the daemon with " + exit + ", which the unit counts as a "
                + "failure (SuccessExitStatus " + success + ")\n" + Files.readString(d.log));
        Set<String> written = new TreeSet<>();
        try (Stream<Path> s = Files.list(state)) {
            s.forEach(p -> written.add(p.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(Set.of("broker", "javacpp", "journal", "model-store", "ng")), written,
                "state in the state directory under its own names");

        // 2. a reboot: the same unit comes back on the installed model, with its journal
        d = Daemon.launch(cmd, null, tmp, tmp.resolve("journal-2.log"), port, "/q/health/ready", Duration.ofSeconds(90));
        try {
            JsonNode status = JSON.readTree(d.get("/api/v1/status").body());
            assertEquals(sha, status.path("model").path("sha256").asText(), status.toString());
            assertEquals(1, status.path("journal").path("lastSeq").asLong(), status.toString());
        } finally {
            exit = d.terminate();
        }
        assertTrue(success.contains(exit), "SIGTERM exit " + exit + "\n" + Files.readString(d.log));
    }

    static void run(String... cmd) throws Exception {
        Path out = Files.createTempFile("kensa-run", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException(String.join(" ", cmd) + ": not done in 120 s: " + Files.readString(out));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + ": " + Files.readString(out));
            }
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }
}
