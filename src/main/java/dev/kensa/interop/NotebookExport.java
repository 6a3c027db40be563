package dev.kensa.interop;

import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.method.MethodNotebook;
import dev.kensa.util.Staging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kensa bundle export BUNDLE --npy DIR}: a bundle's model back into a notebook's folder ({@link Notebook}), for a
 * quality engineer to check a score by hand in NumPy, or to import again ({@link NotebookImport}), which gives a
 * bundle that scores the same. The method writes its arrays and its section ({@link MethodNotebook#export}); this
 * writes the fixed-pipeline JSON around them, in a folder renamed into place when complete.
 */
public final class NotebookExport {
    private NotebookExport() {
    }

    /** What was written: the files, relative to the export folder. */
    public record Result(ModelBundle bundle, List<String> files) {
    }

    public static Result run(Path bundleDir, Path out) {
        Staging.checkFree(out);
        ModelBundle bundle = BundleReader.read(bundleDir);
        try (Staging staging = Staging.beside(out)) {
            Result r = write(bundle, staging.dir());
            staging.commit();
            return r;
        }
    }

    private static Result write(ModelBundle bundle, Path out) {
        String folder = bundle.method();
        Path dir;
        try {
            dir = Files.createDirectory(out.resolve(folder));
        } catch (IOException e) {
            throw new InteropException(out.resolve(folder) + ": cannot create (" + e.getMessage() + ")", e);
        }
        MethodNotebook.Export method = bundle.model().method().notebook().export(bundle.model(), dir);
        PipelineConfig p = bundle.pipeline();
        PipelineConfig.ImageThreshold t = p.threshold().image();
        FixedPipeline fixed = new FixedPipeline(
                new FixedPipeline.Common(p.image().resize(), method.seeds()),
                new FixedPipeline.Threshold(t.fprTarget() >= 0 && t.fprTarget() < 1 ? t.fprTarget() : null, t.value(), t.source()),
                Map.of(folder, method.section()),
                new FixedPipeline.Kensa(p.image().crop(), p.smoothing().sigma(), p.threshold().pixel().value(),
                        p.regions().minArea(), p.regions().opening(), p.heatmap().size(), p.heatmap().jpegQuality()));
        FixedPipelineJson.write(out.resolve(Notebook.FIXED_PIPELINE), fixed);
        List<String> files = new ArrayList<>();
        files.add(Notebook.FIXED_PIPELINE);
        method.files().forEach(f -> files.add(folder + "/" + f));
        return new Result(bundle, files);
    }
}
