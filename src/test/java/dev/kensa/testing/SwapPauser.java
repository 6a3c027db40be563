package dev.kensa.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A Java agent for the swap crash test, test code only: given to the packaged daemon as {@code -javaagent:JAR=STEP},
 * it waits until the daemon has loaded {@code dev.kensa.model.ModelManager}, sets its step observer
 * ({@code ModelManager.observeSteps}) and prints {@code "kensa-test: swap pauser ready"}; when a swap reaches STEP it
 * prints {@code "kensa-test: swap paused at STEP"} and holds the swap for a minute, so the test can SIGKILL the
 * process there. The product itself never pauses.
 */
public final class SwapPauser {
    static final String MANAGER = "dev.kensa.model.ModelManager";

    private SwapPauser() {
    }

    public static void premain(String step, Instrumentation inst) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    for (Class<?> c : inst.getAllLoadedClasses()) {
                        if (c.getName().equals(MANAGER)) {
                            Consumer<Object> pause = reached -> {
                                if (reached.toString().equals(step)) {
                                    System.err.println("kensa-test: swap paused at " + step);
                                    System.err.flush();
                                    try {
                                        Thread.sleep(60_000);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }
                            };
                            c.getMethod("observeSteps", Consumer.class).invoke(null, pause);
                            System.err.println("kensa-test: swap pauser ready");
                            System.err.flush();
                            return;
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ReflectiveOperationException e) {
                System.err.println("kensa-test: swap pauser failed: " + e);
            }
        }, "test-swap-pauser");
        t.setDaemon(true);
        t.start();
    }

    /** Builds the agent jar from this class's compiled bytes. */
    public static Path jar(Path dir) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Premain-Class", SwapPauser.class.getName());
        Path jar = dir.resolve("swap-pauser.jar");
        String entry = SwapPauser.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
             InputStream in = SwapPauser.class.getResourceAsStream("/" + entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
