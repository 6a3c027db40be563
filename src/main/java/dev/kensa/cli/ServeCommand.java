package dev.kensa.cli;

import dev.kensa.daemon.DaemonAssembly;
import dev.kensa.gpu.Backends;
import io.quarkus.arc.Arc;
import io.quarkus.runtime.Quarkus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code kensa serve}: parses its flags and hands them to the {@link DaemonAssembly}, which builds the daemon. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the inspection daemon: HTTP API and health on quarkus.http.port (8080).")
public class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, description = "bundle to install and serve now; it replaces the model store's "
            + "active one (a warning in the log and the audit log; the replaced one stays for rollback). Default: the "
            + "store's active model (the last installed or swapped in), else kensa.model.dir, else none: the daemon "
            + "runs not ready until a bundle is uploaded (PUT /api/v1/model)")
    Path model;

    @Option(names = "--backend", description = "auto, cpu or tensorrt (default: kensa.backend); tensorrt fails at once "
            + "when TensorRT/CUDA cannot be used")
    String backend;

    @Override
    public Integer call() throws Exception {
        Backends.Mode mode = backend != null ? Backends.Mode.parse(backend) : null;
        Arc.container().instance(DaemonAssembly.class).get().start(new DaemonAssembly.Options(model, mode));
        Quarkus.waitForExit(); // the assembly stops the parts in order at shutdown
        return 0;
    }
}
