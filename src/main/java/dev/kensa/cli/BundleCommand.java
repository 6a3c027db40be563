package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Model bundle tools.",
        subcommands = {BundleCommand.Info.class, BundleCommand.Verify.class})
public class BundleCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print a bundle's manifest and pipeline.")
    public static class Info implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "bundle directory or .zip")
        java.nio.file.Path bundle;

        @Override
        public Integer call() throws Exception {
            ModelBundle b = BundleReader.read(bundle);
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            var node = m.createObjectNode();
            node.put("sha256", b.sha256());
            node.set("manifest", m.valueToTree(b.manifest()));
            node.set("pipeline", m.valueToTree(b.pipeline()));
            node.put("statsMemoryBytes", b.stats().memoryBytes());
            spec.commandLine().getOut().println(m.writeValueAsString(node));
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check a bundle: files and checksums, then load it and run its self-test images.")
    public static class Verify implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "bundle directory or .zip")
        java.nio.file.Path bundle;

        @Override
        public Integer call() {
            ModelBundle b = BundleReader.read(bundle);
            dev.kensa.pipeline.SelfTest.Result r = dev.kensa.pipeline.SelfTest.run(b, Runtime.getRuntime().availableProcessors());
            spec.commandLine().getOut().println(r.summary());
            return r.passed() ? 0 : 1;
        }
    }
}
