package dev.kensa.cli;

import dev.kensa.quality.QualityGate;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Set;

/** {@code --quality-off}: the image-quality checks a CLI run switches off, as {@code kensa.quality.disabled} does for the box. */
public class QualityOption {
    @Option(names = "--quality-off", split = ",", paramLabel = "CHECK",
            description = "image-quality checks to switch off: size, aspect, brightness, contrast, focus "
                    + "(default: kensa.quality.disabled, i.e. every check on)")
    List<String> off;

    /** The checks left on; an unknown name is an IllegalArgumentException naming the known ones. */
    Set<QualityGate.Check> enabled() {
        return QualityGate.enabledExcept(off == null ? List.of() : off);
    }
}
