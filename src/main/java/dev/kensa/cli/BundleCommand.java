package dev.kensa.cli;

import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.calibration.CalibrationView;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.BundleSignature;
import dev.kensa.bundle.ModelBundle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Model bundle tools.",
        subcommands = {BundleCommand.Info.class, BundleCommand.Verify.class, BundleCommand.Sign.class, BundleCommand.Keygen.class,
                BundleCommand.Import.class, BundleCommand.Export.class})
public class BundleCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print a bundle's manifest and pipeline (JSON, "
            + "stdout) and its calibration: the score histogram split at the threshold and the expected false-reject rate "
            + "(stderr).")
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
            node.put("method", b.method());
            node.put("model", b.model().describe());
            node.put("modelMemoryBytes", b.model().memoryBytes());
            CalibrationRecord cal = b.calibration();
            if (cal != null) {
                var c = m.createObjectNode();
                c.put("method", cal.method().id());
                if (cal.folds() != null) {
                    c.put("folds", cal.folds());
                }
                c.put("goods", cal.scores().size());
                c.put("fprTarget", cal.fprTarget());
                c.put("threshold", cal.threshold());
                c.set("falseRejects", m.valueToTree(cal.falseRejects()));
                c.set("qualityLimits", m.valueToTree(cal.quality().limits()));
                node.set("calibration", c);
            } else {
                node.putNull("calibration");
            }
            spec.commandLine().getOut().println(m.writeValueAsString(node));
            // for people, on stderr, so stdout stays one JSON document for scripts
            spec.commandLine().getErr().print(cal != null
                    ? CalibrationView.text(cal) + cal.quality().limits().summary() + "\n"
                    : "no calibration record (bundle older than " + CalibrationRecord.FILE + "): "
                    + "no score histogram or false-reject interval; drift waits without a reference and image-quality "
                    + "gates use the absolute floors\n");
            spec.commandLine().getErr().flush();
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

        @picocli.CommandLine.Option(names = "--public-key", description = "require a valid Ed25519 signature by this key (PEM)")
        java.nio.file.Path publicKey;

        @Override
        public Integer call() {
            ModelBundle b = BundleReader.read(bundle, publicKey == null ? null : BundleSignature.readPublic(publicKey));
            if (publicKey != null) {
                spec.commandLine().getOut().println("signature ok (" + publicKey + ")");
            }
            dev.kensa.pipeline.SelfTest.Result r = dev.kensa.pipeline.SelfTest.run(b, Runtime.getRuntime().availableProcessors());
            spec.commandLine().getOut().println(r.summary());
            return r.passed() ? 0 : 1;
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Sign a bundle directory: writes manifest.sig, an Ed25519 signature of manifest.json.")
    public static class Sign implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "bundle directory (zip it afterwards for upload)")
        java.nio.file.Path bundle;

        @picocli.CommandLine.Option(names = "--key", required = true, description = "Ed25519 private key (PEM, PKCS#8)")
        java.nio.file.Path key;

        @picocli.CommandLine.Option(names = "--zip", description = "also write this zip of the signed bundle")
        java.nio.file.Path zip;

        @Override
        public Integer call() {
            BundleReader.read(bundle); // never sign a bundle that does not verify
            BundleSignature.sign(bundle, BundleSignature.readPrivate(key));
            if (zip != null) {
                dev.kensa.bundle.BundleWriter.zip(bundle, zip);
            }
            spec.commandLine().getOut().println("signed " + bundle.resolve(BundleSignature.FILE));
            return 0;
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Make an Ed25519 key pair for signing bundles: PREFIX.key (private, mode 600) and PREFIX.pub.")
    public static class Keygen implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "file name prefix")
        String prefix;

        @Override
        public Integer call() throws Exception {
            java.nio.file.Path priv = java.nio.file.Path.of(prefix + ".key");
            java.nio.file.Path pub = java.nio.file.Path.of(prefix + ".pub");
            if (java.nio.file.Files.exists(priv) || java.nio.file.Files.exists(pub)) {
                throw new dev.kensa.KensaException(priv + " or " + pub + " already exists");
            }
            java.security.KeyPair kp = BundleSignature.generate();
            BundleSignature.writePrivate(priv, kp.getPrivate());
            BundleSignature.writePublic(pub, kp.getPublic());
            spec.commandLine().getOut().println("private key " + priv + " (keep it off the boxes), public key " + pub
                    + " (set kensa.model.public-key to it on the boxes)");
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Make a bundle from a model fitted in Python: NOTEBOOK_DIR holds fixed_pipeline.json and the .npy"
                    + " arrays (padim/mean.npy, cov.npy or inv_cov.npy, idx.npy; mahalanobis/mean.npy, cov.npy or"
                    + " precision.npy; patchcore/memory_bank.npy). See the README, \"From a notebook to the box\".")
    public static class Import implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NOTEBOOK_DIR", description = "the notebook's folder")
        java.nio.file.Path notebook;

        @picocli.CommandLine.Option(names = {"-o", "--output"}, required = true,
                description = "bundle directory to create (a name ending .zip also writes the zip)")
        java.nio.file.Path output;

        @picocli.CommandLine.Option(names = "--backbone", required = true, description = "ONNX backbone the notebook's features came from")
        java.nio.file.Path backbone;

        @picocli.CommandLine.Option(names = "--selftest", split = ",", paramLabel = "IMAGES",
                description = "images (files or folders) to make the bundle's self-tests from: the first, middle and last are scored with the imported model")
        java.util.List<java.nio.file.Path> selfTest;

        @picocli.CommandLine.Option(names = "--threshold", description = "image threshold (replaces threshold.value of fixed_pipeline.json)")
        Double threshold;

        @picocli.CommandLine.Option(names = "--name", description = "model name (default: the notebook folder's name)")
        String name;

        @picocli.CommandLine.Option(names = "--method", completionCandidates = FitArgs.MethodNames.class,
                description = "${COMPLETION-CANDIDATES} (default: the one folder of arrays present)")
        String method;

        @picocli.CommandLine.Option(names = "--layers", split = ",", description = "backbone outputs (replaces the JSON's layers)")
        java.util.List<String> layers;

        @picocli.CommandLine.Option(names = "--float16", description = "store the large arrays as float16 (PaDiM factors, PatchCore memory bank)")
        boolean float16;

        @picocli.CommandLine.Option(names = "--batch", defaultValue = "8", description = "backbone batch size")
        int batch;

        @picocli.CommandLine.Option(names = "--threads", description = "CPU threads (default: all cores)")
        Integer threads;

        @Override
        public Integer call() {
            int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            var err = spec.commandLine().getErr();
            ModelBundle b = dev.kensa.interop.NotebookImport.run(new dev.kensa.interop.NotebookImport.Options(notebook, output,
                    backbone, selfTest, threshold, name, method, layers, float16, t, batch), note -> err.println("kensa: note: " + note));
            var image = b.pipeline().threshold().image();
            err.printf("imported %s: %s%n", b.manifest().id(), b.model().describe());
            err.printf("threshold %.4f (%s), %d self-test images%n", image.value(), image.source(), b.selfTests().size());
            spec.commandLine().getOut().println(b.dir());
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a bundle's model as NumPy arrays and a fixed-pipeline JSON, the layout bundle import reads"
                    + " (the Gaussians as inverse covariances, float64).")
    public static class Export implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "bundle directory or .zip")
        java.nio.file.Path bundle;

        @picocli.CommandLine.Option(names = "--npy", required = true, paramLabel = "DIR", description = "folder to create (or an empty one)")
        java.nio.file.Path npy;

        @Override
        public Integer call() {
            var r = dev.kensa.interop.NotebookExport.run(bundle, npy);
            for (String f : r.files()) {
                spec.commandLine().getOut().println(npy.resolve(f));
            }
            return 0;
        }
    }
}
