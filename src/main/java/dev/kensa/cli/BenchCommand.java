package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kensa.KensaException;
import dev.kensa.bench.Bench;
import dev.kensa.bundle.BundleReader;
import dev.kensa.gpu.Backends;
import dev.kensa.gpu.Precision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Per-stage latency and end-to-end throughput on real images, batch sizes side by side.")
public class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ImagesAndModel target;

    @Option(names = "--count", defaultValue = "96", description = "images per measurement (cycled if fewer given)")
    int count;

    @Option(names = "--batches", defaultValue = "1,8", split = ",", description = "batch sizes (default ${DEFAULT-VALUE})")
    int[] batches;

    @Option(names = "--threads")
    Integer threads;

    @Option(names = "--soak", defaultValue = "0", description = "also run this many images end to end and report RSS growth")
    int soak;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or tensorrt (default ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--precision", defaultValue = "fp16", split = ",",
            description = "TensorRT engine precisions to compare on a GPU, e.g. fp16,fp32 (default ${DEFAULT-VALUE}); the CPU runs float32")
    List<String> precisions;

    @Option(names = "--cache-dir", description = "TensorRT engine cache (default: kensa.cache-dir, data/engine-cache)")
    Path cacheDir;

    @Option(names = "--json", description = "write the report as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        List<Path> images = target.images();
        int max = Arrays.stream(batches).max().orElse(1);
        if (count < 2 * max) {
            throw new KensaException("--count must be at least twice the largest batch (" + 2 * max + ")");
        }
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Backends.Options options = new Backends.Options(Backends.Mode.parse(backend), cacheDir != null ? cacheDir
                : configuredCacheDir(), Precision.FP16);
        List<Precision> chosen = precisions.stream().map(Precision::parse).distinct().toList();
        Bench.Report r = Bench.run(BundleReader.read(target.model), images, count, batches, t, soak, options, chosen, true);
        spec.commandLine().getOut().print(Bench.table(r));
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
        }
        return 0;
    }

    /** kensa.cache-dir when the command runs inside Kensa's Quarkus main; the same default where it runs without one. */
    private static Path configuredCacheDir() {
        io.quarkus.arc.ArcContainer arc = io.quarkus.arc.Arc.container();
        return arc != null ? arc.instance(dev.kensa.KensaConfig.class).get().cacheDir() : Backends.Options.defaults().cacheDir();
    }
}
