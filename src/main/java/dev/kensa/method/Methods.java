package dev.kensa.method;

import dev.kensa.KensaException;
import dev.kensa.method.gaussian.GlobalMahalanobisMethod;
import dev.kensa.method.padim.PadimMethod;
import dev.kensa.method.patchcore.PatchCoreMethod;

import java.util.List;
import java.util.Locale;

/** The methods this build knows, by name: the one list a new method is added to. */
public final class Methods {
    /** What a bundle without a method field is: the bundles made before methods were a choice were PaDiM. */
    public static final String DEFAULT = PadimMethod.NAME;

    private static final List<DetectionMethod> ALL = List.of(new PadimMethod(), new PatchCoreMethod(), new GlobalMahalanobisMethod());

    private Methods() {
    }

    public static List<DetectionMethod> all() {
        return ALL;
    }

    public static List<String> names() {
        return ALL.stream().map(DetectionMethod::name).toList();
    }

    /** The method of that name; a one-line error listing the known ones otherwise. */
    public static DetectionMethod byName(String name) {
        String wanted = name == null ? DEFAULT : name.trim().toLowerCase(Locale.ROOT);
        for (DetectionMethod m : ALL) {
            if (m.name().equals(wanted)) {
                return m;
            }
        }
        throw new KensaException("unknown method '" + name + "': this build has " + String.join(", ", names()));
    }
}
