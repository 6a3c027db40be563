package dev.kensa.interop;

import dev.kensa.KensaException;
import dev.kensa.bundle.BundleReader;
import dev.kensa.bundle.ModelBundle;
import dev.kensa.bundle.PipelineConfig;
import dev.kensa.method.MethodModel;
import dev.kensa.method.gaussian.GlobalMahalanobisModel;
import dev.kensa.method.padim.PadimModel;
import dev.kensa.method.patchcore.PatchCoreModel;
import dev.kensa.score.GaussianStats;
import dev.kensa.util.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code kensa bundle export BUNDLE --npy DIR}: a bundle's model back into a notebook's folder ({@link Notebook}), for a
 * quality engineer to check a score by hand in NumPy, or to import again ({@link NotebookImport}), which gives a
 * bundle that scores the same.
 *
 * <p>The Gaussians are written as inverse covariances ({@code padim/inv_cov.npy}, {@code mahalanobis/precision.npy}),
 * float64: Q = W^T W is exactly what the bundle scores with, computed from the stored factor W without inverting
 * anything, so a distance by hand is one line ({@code v @ Q @ v}) and an import rebuilds W from Q to float32
 * rounding. (The covariance is {@code np.linalg.inv(Q)}; writing it would need an inversion here and another on
 * import.) Means are float32 as stored, channel indices int64. Written one position at a time: the 250 MB of a
 * production PaDiM's inverse covariances are never in memory.
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
            Result r = write(bundle, bundleDir, staging.dir());
            staging.commit();
            return r;
        }
    }

    private static Result write(ModelBundle bundle, Path bundleDir, Path out) {
        List<String> files = new ArrayList<>();
        MethodModel model = bundle.model();
        FixedPipeline.Padim padim = null;
        FixedPipeline.Mahalanobis mahalanobis = null;
        FixedPipeline.Patchcore patchcore = null;
        List<Long> seeds = null;
        if (model instanceof PadimModel m) {
            padim = new FixedPipeline.Padim(m.layers(), m.channels().length);
            seeds = m.seed() == null ? null : List.of(m.seed());
            Path dir = folder(out, Notebook.PADIM);
            GaussianStats s = m.stats();
            Npy.write(dir.resolve(Notebook.MEAN), NpyArray.of(s.mean(), s.positions(), s.dims()));
            long[] idx = new long[m.channels().length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = m.channels()[i];
            }
            Npy.write(dir.resolve(Notebook.IDX), NpyArray.of(idx, idx.length));
            writePrecisions(dir.resolve(Notebook.INV_COV), s, s.positions(), s.dims(), s.dims());
            files.addAll(List.of(Notebook.PADIM + "/" + Notebook.MEAN, Notebook.PADIM + "/" + Notebook.INV_COV,
                    Notebook.PADIM + "/" + Notebook.IDX));
        } else if (model instanceof GlobalMahalanobisModel m) {
            mahalanobis = new FixedPipeline.Mahalanobis(null, m.covariance().replace('-', '_'), m.layers());
            Path dir = folder(out, Notebook.MAHALANOBIS);
            GaussianStats s = m.stats();
            Npy.write(dir.resolve(Notebook.MEAN), NpyArray.of(s.mean(), s.dims()));
            try (NpyWriter w = NpyWriter.create(dir.resolve(Notebook.PRECISION), NpyType.FLOAT64, s.dims(), s.dims())) {
                double[] q = new double[s.dims() * s.dims()];
                MahalanobisFactor.precision(s, 0, q);
                w.write(q);
            }
            files.addAll(List.of(Notebook.MAHALANOBIS + "/" + Notebook.MEAN, Notebook.MAHALANOBIS + "/" + Notebook.PRECISION));
        } else if (model instanceof PatchCoreModel m) {
            patchcore = new FixedPipeline.Patchcore(m.layers(), m.pool(), m.neighbours(),
                    m.coresetRatio() > 0 && m.coresetRatio() <= 1 ? m.coresetRatio() : null);
            Path dir = folder(out, Notebook.PATCHCORE);
            Npy.write(dir.resolve(Notebook.MEMORY_BANK), NpyArray.of(m.bank().values(), m.bank().rows(), m.bank().dims()));
            files.add(Notebook.PATCHCORE + "/" + Notebook.MEMORY_BANK);
        } else {
            throw new KensaException("bundle " + bundleDir + ": export of a " + bundle.method() + " model is not supported");
        }
        PipelineConfig p = bundle.pipeline();
        PipelineConfig.ImageThreshold t = p.threshold().image();
        FixedPipeline fixed = new FixedPipeline(
                new FixedPipeline.Common(p.image().resize(), seeds),
                new FixedPipeline.Threshold(t.fprTarget() >= 0 && t.fprTarget() < 1 ? t.fprTarget() : null, t.value(), t.source()),
                padim, mahalanobis, patchcore,
                new FixedPipeline.Kensa(p.image().crop(), p.smoothing().sigma(), p.threshold().pixel().value(),
                        p.regions().minArea(), p.regions().opening(), p.heatmap().size(), p.heatmap().jpegQuality()));
        FixedPipelineJson.write(out.resolve(Notebook.FIXED_PIPELINE), fixed);
        files.add(0, Notebook.FIXED_PIPELINE);
        return new Result(bundle, files);
    }

    /** Q_p = W_p^T W_p of every position, [positions, d, d] float64, one position at a time. */
    private static void writePrecisions(Path file, GaussianStats s, int positions, int rows, int cols) {
        NpyWriter w = NpyWriter.create(file, NpyType.FLOAT64, positions, rows, cols);
        try {
            double[] q = new double[rows * cols];
            for (int p = 0; p < positions; p++) {
                MahalanobisFactor.precision(s, p, q);
                w.write(q);
            }
        } catch (RuntimeException e) {
            w.abort();
            throw e;
        }
        w.close();
    }

    private static Path folder(Path out, String name) {
        try {
            return Files.createDirectory(out.resolve(name));
        } catch (IOException e) {
            throw new InteropException(out.resolve(name) + ": cannot create (" + e.getMessage() + ")", e);
        }
    }
}
