package dev.kensa.fit;

import dev.kensa.KensaException;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.quality.ImageQuality;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The image-quality statistics of the fit images and the limits learned from them, for calibration.json. Measured
 * before the fit so that a folder with a black, blown-out or flat frame among its "good" images is refused in seconds,
 * before the backbone runs: a camera fault in the fit would teach the model that it is a good part.
 */
final class FitQuality {
    private FitQuality() {
    }

    /**
     * Decodes every image (the pipeline's own decoder and size limits) and measures it, on {@code threads} threads.
     *
     * @throws KensaException naming an unreadable image, or the fit images that fail the absolute floors
     */
    static CalibrationRecord.Quality measure(List<Path> images, Path root, ImagePreprocessor pre, int threads) {
        List<String> names = images.stream().map(p -> relativeName(root, p)).toList();
        List<ImageQuality> stats = new ArrayList<>(images.size());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, images.size())), r -> {
            Thread t = new Thread(r, "kensa-fit-quality");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ImageQuality>> futures = new ArrayList<>(images.size());
            for (Path p : images) {
                futures.add(pool.submit(() -> measure(p, pre)));
            }
            for (Future<ImageQuality> f : futures) {
                stats.add(f.get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new KensaException("image-quality measurement failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KensaException("interrupted while measuring the training images");
        } finally {
            pool.shutdownNow();
        }
        return CalibrationRecord.Quality.learn(names, stats);
    }

    private static ImageQuality measure(Path p, ImagePreprocessor pre) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new KensaException("training image " + p + ": cannot read (" + e.getMessage() + ")", e);
        }
        try (Mat image = pre.decode(bytes)) {
            return ImageQuality.measure(image);
        } catch (KensaException e) {
            throw new KensaException("training image " + p + ": " + e.getMessage(), e);
        }
    }

    /** A file's name relative to the folder it was listed from ("000.png", "sub/000.png"), else its own name. */
    static String relativeName(Path root, Path file) {
        if (root != null) {
            Path r = root.toAbsolutePath().normalize();
            Path f = file.toAbsolutePath().normalize();
            if (f.startsWith(r) && !f.equals(r)) {
                return r.relativize(f).toString().replace('\\', '/');
            }
        }
        return file.getFileName().toString();
    }
}
