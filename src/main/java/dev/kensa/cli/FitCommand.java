package dev.kensa.cli;

import dev.kensa.calibration.CalibrationView;
import dev.kensa.fit.BundleFitter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit a model bundle from a folder of good images and calibrate its threshold.")
public class FitCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "folder of good images (searched recursively)")
    Path train;

    @Option(names = {"-o", "--output"}, required = true, description = "bundle directory to create (a name ending .zip also writes the zip)")
    Path output;

    @Option(names = "--holdout", description = "folder of held-out good images to calibrate on")
    Path holdout;

    @Option(names = "--dev", description = "labelled dev set (MVTec layout) to calibrate on; reports the defect catch rate")
    Path dev;

    @Option(names = "--name", description = "model name (default: from the folder)")
    String name;

    @Mixin
    FitArgs fit;

    @Override
    public Integer call() {
        BundleFitter.FitReport r = BundleFitter.fit(fit.options(train, output, holdout, dev, name), true);
        spec.commandLine().getErr().printf("fitted %s on %d images in %.1f s (calibration %.1f s)%n", r.bundle().manifest().id(),
                r.images(), r.fitSeconds(), r.calibrationSeconds());
        spec.commandLine().getErr().printf("threshold %.4f from %s: rejects %.1f %% of those goods%s%n", r.threshold(), r.thresholdSource(),
                100 * r.goodRejectRate(), r.defectAcceptRate() == null ? ""
                        : String.format(", catches %.1f %% of the dev defects", 100 * (1 - r.defectAcceptRate())));
        dev.kensa.calibration.CalibrationRecord cal = r.bundle().calibration();
        if (cal != null) {
            spec.commandLine().getErr().println(CalibrationView.falseRejectLine(cal));
            spec.commandLine().getErr().println(cal.quality().limits().summary());
        }
        spec.commandLine().getOut().println(r.bundle().dir());
        return 0;
    }
}
