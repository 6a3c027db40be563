package dev.kensa.testing;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real mosquitto broker for tests, on a free loopback port, configured from a generated file in a temporary
 * directory. {@link #stop()} and {@link #start()} take it down and bring it back on the same port, for outage
 * tests. The binary is looked up as {@code $MOSQUITTO}, then in the usual Debian places and on the PATH; without
 * it the test is skipped, or fails when {@code CI=true} (CI must not silently skip the MQTT tests). Every broker a
 * test starts is stopped by {@link #close()}, and, should the test JVM end first, by a shutdown hook.
 */
public final class Mosquitto implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 5_000;
    private static final long STOP_TIMEOUT_MS = 5_000;

    private final Path binary;
    private final Path dir;
    private final Path config;
    private final Path log;
    private final int port;
    private final boolean tls;
    private Process process;

    /** Brokers still running, stopped by a shutdown hook if the test JVM ends before their tests closed them. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "test-mosquitto-reaper"));
    }

    private Mosquitto(Path binary, Path dir, int port, boolean persistent, List<String> listenerLines) throws IOException {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.tls = listenerLines.stream().anyMatch(l -> l.startsWith("certfile "));
        this.config = dir.resolve("mosquitto.conf");
        this.log = dir.resolve("mosquitto.log");
        List<String> lines = new ArrayList<>(List.of(
                "listener " + port + " 127.0.0.1"));
        lines.addAll(listenerLines);
        lines.addAll(List.of(
                "allow_anonymous true",
                // as root mosquitto would switch to user "mosquitto", who cannot write our temp dir
                "user " + System.getProperty("user.name"),
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "log_type notice"));
        if (persistent) {
            // sessions and queued messages survive stop()/start(): saved on SIGTERM, loaded on start
            lines.add("persistence true");
            lines.add("persistence_location " + dir + "/");
        } else {
            lines.add("persistence false");
        }
        Files.write(config, lines);
    }

    /** Starts a broker without persistence: a restart forgets sessions and retained messages. */
    public static Mosquitto launch() {
        return launch(false);
    }

    /**
     * Starts a broker on a free loopback port.
     *
     * @param persistent keep client sessions, their queued messages and retained messages across
     *                   {@link #stop()}/{@link #start()}
     */
    public static Mosquitto launch(boolean persistent) {
        return launch(persistent, List.of());
    }

    /**
     * Starts a broker that speaks MQTT over TLS only, with this certificate and key (PEM); its URI is then
     * {@code ssl://127.0.0.1:<port>}.
     */
    public static Mosquitto launchTls(Path certFile, Path keyFile) {
        return launch(false, List.of("certfile " + certFile, "keyfile " + keyFile));
    }

    private static Mosquitto launch(boolean persistent, List<String> listenerLines) {
        Path binary = findBinary();
        IOException last = null;
        // a free port can be taken by someone else between probing and binding; try a few
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("kensa-mosquitto");
                Mosquitto m = new Mosquitto(binary, dir, freePort(), persistent, listenerLines);
                m.start();
                return m;
            } catch (IOException e) {
                last = e;
                deleteTree(dir);
            }
        }
        throw new UncheckedIOException("cannot start mosquitto: " + last.getMessage(), last);
    }

    /** (Re)starts the broker on its port and waits until it accepts connections. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        Process p = new ProcessBuilder(binary.toString(), "-c", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        process = p;
        RUNNING.add(p);
        try {
            Awaitility.await("mosquitto accepting on port " + port).atMost(Duration.ofMillis(START_TIMEOUT_MS))
                    .pollInterval(Duration.ofMillis(50)).until(() -> !p.isAlive() || accepts());
        } catch (ConditionTimeoutException e) {
            p.destroyForcibly();
            RUNNING.remove(p);
            throw new IOException("mosquitto did not accept connections on port " + port + " within "
                    + START_TIMEOUT_MS + " ms: " + logTail(), e);
        }
        if (!p.isAlive()) {
            RUNNING.remove(p);
            throw new IOException("mosquitto exited with " + p.exitValue() + " on port " + port + ": " + logTail());
        }
    }

    /** Stops the broker (SIGTERM, so a persistent one saves its state) and waits until the port is closed. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        RUNNING.remove(process);
        process = null;
        Awaitility.await("port " + port + " closed after mosquitto stopped").atMost(Duration.ofMillis(STOP_TIMEOUT_MS))
                .pollInterval(Duration.ofMillis(50)).until(() -> !accepts());
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public int port() {
        return port;
    }

    /** {@code tcp://127.0.0.1:<port>}, or {@code ssl://…} for a broker started by {@link #launchTls}. */
    public String uri() {
        return (tls ? "ssl" : "tcp") + "://127.0.0.1:" + port;
    }

    /** What the broker logged so far (errors, warnings, notices). */
    public String logTail() {
        try {
            String s = Files.exists(log) ? Files.readString(log) : "";
            return s.length() > 2_000 ? s.substring(s.length() - 2_000) : s;
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        stop();
        deleteTree(dir);
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Path findBinary() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("MOSQUITTO");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("/usr/sbin/mosquitto"));
        candidates.add(Path.of("/usr/local/sbin/mosquitto"));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (!d.isEmpty()) {
                    candidates.add(Path.of(d, "mosquitto"));
                }
            }
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        String message = "mosquitto binary not found (looked at $MOSQUITTO, /usr/sbin, /usr/local/sbin and PATH); "
                + "install it with: apt-get install mosquitto";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a temp dir left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // same
        }
    }
}
