package dev.kensa.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kensa.KensaException;
import dev.kensa.eval.EvalReport;
import dev.kensa.eval.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Fit on DATASET/train/good, inspect DATASET/test, report image/pixel AUROC, AUPRO, F1-max and timings.")
public class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "dataset in MVTec layout (train/good, test/<type>, ground_truth/<type>)")
    Path dataset;

    @Option(names = "--json", description = "write the report as JSON to this file")
    Path jsonFile;

    @Option(names = "--html", description = "write an HTML report: figures, ROC curve, score histograms, heatmaps of misses and false rejects")
    Path html;

    @Option(names = "--bundle", description = "keep the fitted bundle in this directory (default: a temporary one, removed)")
    Path bundle;

    @Mixin
    FitArgs fit;

    @Mixin
    QualityOption quality;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dataset.resolve("train").resolve("good"))) {
            throw new KensaException("dataset " + dataset + " has no train/good folder (expected MVTec layout)");
        }
        Path out = bundle != null ? bundle : Files.createTempDirectory("kensa-eval-").resolve("bundle");
        EvalReport r;
        try {
            Evaluator.Evaluation e = Evaluator.evaluateFull(dataset, fit.options(dataset.resolve("train").resolve("good"), out, null, null, null),
                    quality.enabled(), true);
            r = e.report();
            if (html != null) {
                String modelId = dev.kensa.bundle.BundleReader.readManifest(out).id(); // the bundle just fitted
                dev.kensa.eval.HtmlReport.write(html, e, new dev.kensa.eval.HtmlReport.Header(modelId, java.time.Instant.now()));
            }
        } finally {
            if (bundle == null) {
                dev.kensa.util.FileTrees.delete(out.getParent());
            }
        }
        spec.commandLine().getOut().printf("dataset        %s (%d train, %d test images)%n", r.dataset(), r.trainImages(), r.images());
        spec.commandLine().getOut().printf("method         %s%n", r.model());
        spec.commandLine().getOut().printf("field of view  %s%n", r.fieldOfView());
        for (String error : r.errorImages()) {
            // a gate failure is a test image the box would answer with ERROR ("the camera is wrong"), not a verdict
            spec.commandLine().getErr().println("kensa: warning: test image left out, "
                    + (error.contains(": image-quality: ") ? "failed an image-quality gate: " : "unreadable: ") + error);
        }
        spec.commandLine().getOut().printf("image AUROC    %.4f%n", r.imageAuroc());
        if (r.pixelAuroc() != null) {
            spec.commandLine().getOut().printf("pixel AUROC    %.4f%n", r.pixelAuroc());
            spec.commandLine().getOut().printf("AUPRO@0.3      %.4f%n", r.aupro());
        } else {
            spec.commandLine().getOut().println("pixel metrics  " + r.pixelMetricsNote());
        }
        spec.commandLine().getOut().printf("F1-max         %.4f%n", r.f1Max());
        spec.commandLine().getOut().printf("threshold      %.4f (%s): test FPR %.3f, TPR %.3f%n", r.threshold(), r.thresholdSource(),
                r.thresholdFpr(), r.thresholdTpr());
        for (dev.kensa.eval.EvalReport.OperatingPoint op : r.operatingPoints()) {
            spec.commandLine().getOut().printf("  at %-8s threshold %9.4f: TPR %.3f, FPR %.3f%n", op.name(), op.threshold(), op.tpr(), op.fpr());
        }
        spec.commandLine().getOut().printf("fit            %.1f s (+ calibration %.1f s)%n", r.fitSeconds(), r.calibrationSeconds());
        spec.commandLine().getOut().printf("timings ms/img %s  [%s]%n", r.timingsMs(), r.backend());
        if (jsonFile != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), r);
        }
        return 0;
    }

}
