package dev.kensa.daemon;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The packaged daemon ({@code quarkus-run.jar serve}) as a real child process on a free loopback port. Whatever a test's
 * outcome, the process does not outlive it: a start that fails kills it, {@link #close()} stops it, and a shutdown hook
 * kills any still running when the test JVM ends.
 */
final class Daemon implements AutoCloseable {
    /** Daemons started and not yet closed, killed by a shutdown hook if the test JVM ends first. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Daemon::killTree), "test-daemon-reaper"));
    }

    final int port;
    final Process process;
    final Path log;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Daemon(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
        RUNNING.add(process);
    }

    static Daemon start(Path workDir, Path bundle, Path journal, String... extraProps) throws Exception {
        return start("/q/health/ready", workDir, bundle, journal, extraProps);
    }

    /** @param awaitPath health endpoint that must answer 200 before this returns (ready, or live) */
    static Daemon start(String awaitPath, Path workDir, Path bundle, Path journal, String... extraProps) throws Exception {
        String runner = System.getProperty("kensa.runner", "target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(Path.of(runner))) {
            throw new IllegalStateException("packaged daemon not found: " + runner + " (run mvn verify)");
        }
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dkensa.journal.dir=" + journal, "-Dkensa.model.dir=" + bundle,
                // no embedded broker on the fixed port 1883 unless a test asks for one (later -D wins)
                "-Dkensa.mqtt.embedded=false"));
        cmd.addAll(List.of(extraProps));
        cmd.addAll(List.of("-jar", Path.of(runner).toAbsolutePath().toString(), "serve"));
        Files.createDirectories(workDir);
        Path log = workDir.resolve("daemon-" + port + ".log");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        return awaited(new Daemon(port, p, log), awaitPath, Duration.ofSeconds(60));
    }

    /**
     * Runs {@code cmd} as it is, in {@code dir}, with exactly {@code env} (null: this JVM's environment), its output in
     * {@code log}; returns once {@code awaitPath} on {@code port} answers 200.
     */
    static Daemon launch(List<String> cmd, java.util.Map<String, String> env, Path dir, Path log, int port,
                         String awaitPath, Duration timeout) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        return awaited(new Daemon(port, pb.start(), log), awaitPath, timeout);
    }

    /** {@code d} once {@code awaitPath} answers 200; a daemon that does not get there is stopped, never left running. */
    private static Daemon awaited(Daemon d, String awaitPath, Duration timeout) throws Exception {
        try {
            d.await(awaitPath, timeout);
        } catch (Exception | AssertionError e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** SIGTERM, as systemd stops a service: waits for the exit and returns its status. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            kill();
            throw new IllegalStateException("daemon did not stop within 30 s of SIGTERM; killed");
        }
        RUNNING.remove(process);
        return process.exitValue();
    }

    /** Until {@code path} answers 200; fails at once when the process exits, and after {@code timeout}. */
    void await(String path, Duration timeout) throws Exception {
        try {
            Awaitility.await("daemon " + path + " 200").atMost(timeout).pollInterval(Duration.ofMillis(200))
                    .until(() -> !process.isAlive() || answers200(path));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("daemon: " + path + " not 200 in " + timeout + ":\n" + Files.readString(log));
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + Files.readString(log));
        }
    }

    private boolean answers200(String path) throws InterruptedException {
        try {
            return get(path).statusCode() == 200;
        } catch (IOException notYet) {
            return false; // port not open yet
        }
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> inspect(byte[] image) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/inspect"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The daemon process's resident set size in bytes (Linux /proc). */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + process.pid());
    }

    /** SIGKILL: no shutdown hooks, no flushing; what the journal holds is what was forced to disk. */
    void kill() throws InterruptedException {
        killTree(process);
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("daemon pid " + process.pid() + " still alive 30 s after SIGKILL");
        }
        RUNNING.remove(process);
    }

    /** SIGTERM (graceful Quarkus shutdown), SIGKILL after 20 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                kill();
            }
        }
        killTree(process); // what a launcher (unshare, sh) may have left behind
        RUNNING.remove(process);
    }

    private static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
