package dev.kensa.cli;

import dev.kensa.KensaConfig;
import dev.kensa.KensaException;
import dev.kensa.daemon.ModelService;
import dev.kensa.daemon.ResultStore;
import dev.kensa.source.HotFolder;
import dev.kensa.source.MqttInspectSource;
import dev.kensa.publish.EmbeddedBroker;
import dev.kensa.publish.MqttSettings;
import dev.kensa.publish.ResultPublisher;

import io.quarkus.arc.Arc;
import io.quarkus.runtime.Quarkus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

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
        KensaConfig config = Arc.container().instance(KensaConfig.class).get();
        Path bundle = model != null ? model : config.model().dir().orElse(null);
        dev.kensa.gpu.Backends.Mode chosenBackend = backend != null ? dev.kensa.gpu.Backends.Mode.parse(backend)
                : config.backend();
        // before anything listens or loads: a box told to use TensorRT without a usable GPU stops here, saying why
        dev.kensa.gpu.Backends.choose(chosenBackend);
        if (config.drift().window() < 1) {
            throw new dev.kensa.KensaException("kensa.drift.window must be at least 1, got " + config.drift().window());
        }
        // refuse a bad token file before anything listens
        if (config.api().tokenFile().isPresent()) {
            Arc.container().instance(dev.kensa.http.ApiToken.class).get().load(config.api().tokenFile().get());
        }
        ModelService models = Arc.container().instance(ModelService.class).get();
        ResultStore results = Arc.container().instance(ResultStore.class).get();
        dev.kensa.daemon.InspectionQueue queue = Arc.container().instance(dev.kensa.daemon.InspectionQueue.class).get();
        dev.kensa.daemon.DaemonState daemon = Arc.container().instance(dev.kensa.daemon.DaemonState.class).get();
        long maxImageBytes = config.api().maxImageBytes();
        // the embedded broker comes up before the model, so a ready daemon already has its broker
        EmbeddedBroker broker = null;
        java.util.Optional<String> url = config.mqtt().url();
        if (url.isEmpty() && config.mqtt().embedded()) {
            broker = EmbeddedBroker.start(config.mqtt().embeddedPort(), config.mqtt().embeddedDir());
            Arc.container().instance(dev.kensa.daemon.DaemonState.class).get().broker(broker);
            url = java.util.Optional.of(broker.uri());
        }
        models.start(bundle, model != null, chosenBackend);
        ResultPublisher publisher = null;
        MqttInspectSource inspectSource = null;
        if (url.isPresent()) {
            MqttSettings mqtt = MqttSettings.of(url.get(), config.deviceId())
                    .withHeatmapQos(config.mqtt().heatmapQos());
            if (config.mqtt().username().isPresent()) {
                mqtt = mqtt.withCredentials(config.mqtt().username().get(), config.mqtt().password().orElse(null));
            }
            dev.kensa.daemon.StatusService status = Arc.container().instance(dev.kensa.daemon.StatusService.class).get();
            publisher = new ResultPublisher(mqtt, results.journal(), status::message);
            publisher.start();
            Arc.container().instance(dev.kensa.daemon.DaemonState.class).get().publisher(publisher);
            models.manager().events(publisher::publishModelEvent); // replays the start-up load event
            if (config.mqtt().inspect()) {
                inspectSource = new MqttInspectSource(mqtt, (input, image) ->
                        queue.inspectWaiting(input, image).entry().json(), maxImageBytes, daemon::sourceStateChanged).start();
                Arc.container().instance(dev.kensa.daemon.DaemonState.class).get().inspectSource(inspectSource);
            }
        }
        HotFolder hot = null;
        if (config.hotFolder().dir().isPresent()) {
            KensaConfig.HotFolderConfig hc = config.hotFolder();
            hot = new HotFolder(hc.dir().get(), (input, bytes) -> queue.inspectWaiting(input, bytes).entry().verdict(),
                    new HotFolder.Settings(hc.pollMillis(), hc.settleMillis(), maxImageBytes,
                            HotFolder.Settings.partIdPattern(hc.partIdPattern())), daemon::sourceStateChanged).start();
            Arc.container().instance(dev.kensa.daemon.DaemonState.class).get().hotFolder(hot);
        }
        Quarkus.waitForExit(); // DaemonState stops the parts in order at shutdown
        return 0;
    }
}
