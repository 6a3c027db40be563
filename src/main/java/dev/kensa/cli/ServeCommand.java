package dev.kensa.cli;

import dev.kensa.KensaConfig;
import dev.kensa.KensaException;
import dev.kensa.daemon.ModelService;
import dev.kensa.daemon.ResultStore;
import dev.kensa.source.HotFolder;
import io.quarkus.arc.Arc;
import io.quarkus.runtime.Quarkus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the inspection daemon: HTTP API and health on quarkus.http.port (8080).")
public class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, description = "bundle to serve (default: kensa.model.dir)")
    Path model;

    @Override
    public Integer call() throws Exception {
        KensaConfig config = Arc.container().instance(KensaConfig.class).get();
        Path bundle = model != null ? model : config.model().dir()
                .orElseThrow(() -> new KensaException("no model: set kensa.model.dir or pass --model"));
        int threads = config.threads().orElse(Runtime.getRuntime().availableProcessors());
        ModelService models = Arc.container().instance(ModelService.class).get();
        ResultStore results = Arc.container().instance(ResultStore.class).get();
        models.activate(bundle, threads, config.batchSize());
        HotFolder hot = null;
        if (config.hotFolder().dir().isPresent()) {
            hot = new HotFolder(config.hotFolder().dir().get(), (file, bytes) -> {
                ModelService.Active active = models.active();
                var in = models.inspect(file.toString(), bytes);
                results.record(in, active.inspector(), bytes);
                return in.result().verdict().name();
            }, config.hotFolder().pollMillis(), config.hotFolder().settleMillis()).start();
        }
        Quarkus.waitForExit();
        if (hot != null) {
            hot.close();
        }
        return 0;
    }
}
