package dev.kensa.cli;

import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import picocli.CommandLine;

/**
 * The one artifact's entry point: {@code java -jar quarkus-run.jar <command>}. Commands are picocli; the core they
 * call runs without CDI so the same classes work in unit tests.
 */
@QuarkusMain
public class KensaMain implements QuarkusApplication {

    @jakarta.inject.Inject
    dev.kensa.KensaConfig config;

    /**
     * The one artifact serves HTTP only for {@code kensa serve}: every other command is a CLI run that must not
     * bind the box's port (a daemon may already hold it), so the HTTP listener is switched off before boot.
     */
    public static void main(String... args) {
        if (args.length == 0 || !args[0].equals("serve")) {
            System.setProperty("quarkus.http.host-enabled", "false");
        }
        io.quarkus.runtime.Quarkus.run(KensaMain.class, args);
    }

    @Override
    public int run(String... args) {
        dev.kensa.image.ImageLimits.maxPixels(config.image().maxPixels()); // every command decodes under it
        CommandLine cl = commandLine();
        cl.setDefaultValueProvider(new ConfigDefaults(config));
        int rc = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return rc;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KensaCommand());
        cl.setExecutionExceptionHandler(new OneLineErrors());
        return cl;
    }

    /**
     * {@code --threads}, {@code --batch} and {@code --quality-off} default to {@code kensa.threads},
     * {@code kensa.batch-size} and {@code kensa.quality.disabled}.
     */
    record ConfigDefaults(dev.kensa.KensaConfig config) implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (arg instanceof CommandLine.Model.OptionSpec o) {
                if (o.longestName().equals("--threads") && config.threads().isPresent()) {
                    return String.valueOf(config.threads().getAsInt());
                }
                if (o.longestName().equals("--batch")) {
                    return String.valueOf(config.batchSize());
                }
                if (o.longestName().equals("--quality-off") && config.quality().disabled().isPresent()) {
                    return String.join(",", config.quality().disabled().get());
                }
            }
            return null;
        }
    }

    /** Known failures print one line and exit 1; anything else is a bug and keeps its stack trace. */
    static final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
            Throwable t = e;
            if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
                cmd.getErr().println("kensa: error: " + u.getMessage());
                return 1;
            }
            if (t instanceof dev.kensa.KensaException || t instanceof java.io.IOException
                    || t instanceof IllegalArgumentException) {
                cmd.getErr().println("kensa: error: " + t.getMessage());
                return 1;
            }
            cmd.getErr().println("kensa: internal error: " + t);
            t.printStackTrace(cmd.getErr());
            return 3;
        }
    }
}
