package dev.kensa.daemon;

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

/** The packaged daemon ({@code quarkus-run.jar serve}) as a real child process on a free loopback port. */
final class Daemon implements AutoCloseable {
    final int port;
    final Process process;
    final Path log;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Daemon(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
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
        Daemon d = new Daemon(port, p, log);
        d.await(awaitPath, Duration.ofSeconds(60));
        return d;
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
        Daemon d = new Daemon(port, pb.start(), log);
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
        return process.exitValue();
    }

    void await(String path, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (get(path).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // port not open yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("daemon: " + path + " not 200 in " + timeout + ":\n" + Files.readString(log));
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
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: graceful Quarkus shutdown
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
