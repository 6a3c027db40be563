package dev.kensa.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A Java agent for daemon ITs, test code only: given to the packaged daemon as {@code -javaagent:JAR=TRIGGER|NAMES},
 * it stops every thread named in NAMES (comma-separated) with {@link Thread#stop()} (an asynchronous
 * {@code ThreadDeath}, an Error, where the thread happens to be) while the file TRIGGER exists, and appends a line
 * per kill to TRIGGER.log. Nothing in the product knows about it. Needs a JDK before 20 (Thread.stop).
 */
public final class ThreadKiller {
    private ThreadKiller() {
    }

    @SuppressWarnings({"deprecation", "removal"})
    public static void premain(String args) {
        String[] a = args.split("\\|", 2);
        Path trigger = Path.of(a[0]);
        Path log = Path.of(a[0] + ".log");
        Set<String> names = Set.of(a[1].split(","));
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    if (Files.exists(trigger)) {
                        for (Thread victim : Thread.getAllStackTraces().keySet()) {
                            if (names.contains(victim.getName()) && victim.isAlive()) {
                                String line;
                                try {
                                    victim.stop();
                                    line = "stopped " + victim.getName() + "\n";
                                } catch (UnsupportedOperationException e) {
                                    line = "cannot stop threads on this JDK: " + e + "\n";
                                }
                                Files.writeString(log, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                            }
                        }
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    // the test's temp dir is gone: nothing left to do
                }
            }
        }, "test-thread-killer");
        t.setDaemon(true);
        t.start();
    }

    /** Builds the agent jar from this class's compiled bytes. */
    public static Path jar(Path dir) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Premain-Class", ThreadKiller.class.getName());
        Path jar = dir.resolve("thread-killer.jar");
        String entry = ThreadKiller.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
             InputStream in = ThreadKiller.class.getResourceAsStream("/" + entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
