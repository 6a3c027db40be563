package dev.kensa.cli;

import dev.kensa.Version;
import picocli.CommandLine.Command;

@Command(name = "kensa", mixinStandardHelpOptions = true, version = "kensa " + Version.VERSION,
        description = "Edge inspection appliance: PaDiM anomaly detection for factory lines.",
        subcommands = {ServeCommand.class, FitCommand.class, InspectCommand.class, EvalCommand.class, BundleCommand.class, BenchCommand.class})
public class KensaCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }
}
