package dev.kensa.util;

/**
 * Whether this JVM can run the Vector API kernels: decided once per process. Start the JVM with
 * {@code --add-modules jdk.incubator.vector} to enable them; without it (or with {@code -Dkensa.scalar=true}) every
 * kernel uses its scalar twin, which computes the same result. Native images may lack the module.
 */
public final class Simd {
    private static final boolean AVAILABLE;
    private static final String REASON;

    static {
        boolean ok = false;
        String why;
        if (Boolean.getBoolean("kensa.scalar")) {
            why = "forced by -Dkensa.scalar=true";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            why = "module jdk.incubator.vector not enabled (add --add-modules jdk.incubator.vector)";
        } else {
            try {
                // touching the class links the incubator API; a VM without it fails here, once
                Class.forName("jdk.incubator.vector.FloatVector");
                ok = true;
                why = "Vector API available";
            } catch (LinkageError | ClassNotFoundException e) {
                why = "Vector API unusable: " + e;
            }
        }
        AVAILABLE = ok;
        REASON = why;
    }

    private Simd() {
    }

    public static boolean available() {
        return AVAILABLE;
    }

    public static String reason() {
        return REASON;
    }
}
