package dev.kensa.calibration;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kensa.KensaException;
import dev.kensa.quality.ImageQuality;
import dev.kensa.quality.QualityLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code calibration.json} of a bundle (../shared/DESIGN.md §5, issue 12): where the threshold came from and how sure it is.
 * The calibration scores of the good images with their file names, the method that produced them, the target
 * false-reject rate, the threshold, the false-reject rate those goods give with its exact 95 % interval, and the
 * image-quality statistics of the fit images with the limits learned from them. {@link CalibrationView} shows it to
 * people (terminal text, SVG, HTML).
 *
 * <p>Read and written by {@link #read(Path)}/{@link #parse(byte[], String)} and {@link #write(Path)}/{@link #toJson()};
 * both validate everything (finite numbers, counts that agree with the scores, known method), so a hand-edited or
 * truncated file is refused with one line naming the file and the field. Every field is written, nulls included, and
 * every field must be present on read; unknown fields are ignored (a later version may add some).
 *
 * @param format       {@value #FORMAT}
 * @param method       how the calibration scores were obtained
 * @param folds        k of k-fold calibration; null for every other method
 * @param fprTarget    target image-level false-reject rate the threshold was chosen for, in [0, 1)
 * @param margin       relative margin over the largest good score when fprTarget is 0; null otherwise
 * @param threshold    the bundle's image-score threshold (score &gt; threshold is NG)
 * @param falseRejects how many of the calibration goods score above the threshold, of how many, with the 95 %
 *                     Clopper-Pearson interval of the rate
 * @param scores       calibration score of every calibration good, in the order they were scored
 * @param quality      image-quality statistics of the fit images and the limits learned from them
 */
@JsonPropertyOrder({"format", "method", "folds", "fprTarget", "margin", "threshold", "falseRejects", "quality", "scores"})
public record CalibrationRecord(String format, Method method, Integer folds, double fprTarget, Double margin,
                                double threshold, BinomialInterval falseRejects, List<Score> scores, Quality quality) {

    public static final String FORMAT = "kensa-calibration/1";
    /** The file's name in a bundle. */
    public static final String FILE = "calibration.json";

    /** A calibration.json holds two numbers and a name per image: anything far larger is not one. */
    private static final long MAX_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, true)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** How the calibration scores were obtained. */
    public enum Method {
        /** k-fold out-of-fold scores: each image scored by a model fitted without its fold. */
        KFOLD("kfold", "k-fold out-of-fold scores"),
        /** leave-one-out scores: each image scored by a model fitted without it. */
        LOO("loo", "leave-one-out scores"),
        /** a separate folder of good images the fit never saw. */
        HOLDOUT("holdout", "held-out good images"),
        /** the good images of a labelled dev set. */
        DEV("dev", "dev-set good images"),
        /** the fit images' own scores (no calibration): optimistic, about 30 % below scores of unseen goods. */
        IN_SAMPLE("in-sample", "the fit images' own scores (optimistic)");

        private final String id;
        private final String words;

        Method(String id, String words) {
            this.id = id;
            this.words = words;
        }

        @JsonValue
        public String id() {
            return id;
        }

        /** The method in words, e.g. {@code leave-one-out scores}. */
        public String words() {
            return words;
        }

        /** @throws IllegalArgumentException naming the known methods */
        @JsonCreator
        public static Method of(String id) {
            for (Method m : values()) {
                if (m.id.equals(id)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown calibration method '" + id + "' (known: kfold, loo, holdout, dev, in-sample)");
        }

        /** True when the scores come from a model that did not see the image: comparable with live scores. */
        public boolean outOfSample() {
            return this != IN_SAMPLE;
        }
    }

    /** @param file image file name (relative to the folder it came from) */
    public record Score(String file, double score) {
    }

    /** Image-quality statistics of one fit image (an {@link ImageQuality} with its file name). */
    @JsonPropertyOrder({"file", "width", "height", "brightness", "contrast", "focus"})
    public record FitImage(String file, int width, int height, double brightness, double contrast, double focus) {
        public static FitImage of(String file, ImageQuality q) {
            return new FitImage(file, q.width(), q.height(), q.brightness(), q.contrast(), q.focus());
        }

        public ImageQuality quality() {
            return new ImageQuality(width, height, brightness, contrast, focus);
        }
    }

    /** @param limits learned from {@code images}; @param images statistics of every fit image */
    @JsonPropertyOrder({"limits", "images"})
    public record Quality(QualityLimits limits, List<FitImage> images) {
        /**
         * Learns the limits from the fit images' statistics, refusing a fit on images that fail the absolute floors
         * ({@link QualityLimits#learn}).
         *
         * @throws KensaException naming the first failing fit image and its check
         */
        public static Quality learn(List<String> files, List<ImageQuality> stats) {
            QualityLimits limits = QualityLimits.learn(files, stats);
            List<FitImage> images = new ArrayList<>(stats.size());
            for (int i = 0; i < stats.size(); i++) {
                images.add(FitImage.of(files.get(i), stats.get(i)));
            }
            return new Quality(limits, List.copyOf(images));
        }
    }

    /**
     * A record for a fitted threshold: counts the calibration goods above it and computes the interval.
     *
     * @throws IllegalArgumentException when a value is out of range (a programming error in the caller)
     */
    public static CalibrationRecord of(Method method, Integer folds, double fprTarget, Double margin, double threshold,
                                       List<Score> scores, Quality quality) {
        int n = scores.size();
        if (n == 0) {
            throw new IllegalArgumentException("no calibration scores");
        }
        int above = 0;
        for (Score s : scores) {
            if (s.score() > threshold) {
                above++;
            }
        }
        CalibrationRecord r = new CalibrationRecord(FORMAT, method, folds, fprTarget, margin, threshold,
                BinomialInterval.clopperPearson(above, n), List.copyOf(scores), quality);
        String problem = r.problem();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return r;
    }

    // ---------------------------------------------------------------- reading and writing

    /**
     * Reads and validates a calibration.json.
     *
     * @throws KensaException one line naming the file and what is wrong, e.g.
     *                        {@code /models/bottle/calibration.json: scores[3].score is not a finite number}
     */
    public static CalibrationRecord read(Path file) {
        String where = file.toString();
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw new KensaException(where + ": missing");
            }
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new KensaException(where + ": " + size + " bytes, larger than " + MAX_BYTES);
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KensaException(where + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(bytes, where);
    }

    /**
     * Parses and validates calibration.json bytes (a bundle reader that already holds them, e.g. from a zip).
     *
     * @param where names the file in the error message, e.g. {@code bundle /models/x: calibration.json}
     * @throws KensaException one line starting with {@code where}
     */
    public static CalibrationRecord parse(byte[] json, String where) {
        if (json.length > MAX_BYTES) {
            throw new KensaException(where + ": " + json.length + " bytes, larger than " + MAX_BYTES);
        }
        CalibrationRecord r;
        try {
            r = JSON.readValue(json, CalibrationRecord.class);
        } catch (JsonProcessingException e) {
            StreamReadException syntax = syntaxError(e);
            throw new KensaException(where + ": " + (syntax != null
                    ? "not valid JSON (" + syntaxMessage(syntax) + at(syntax.getLocation()) + ")"
                    : e instanceof JsonMappingException m ? mappingProblem(m) : firstLine(e.getOriginalMessage())), e);
        } catch (IOException e) {
            throw new KensaException(where + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (r == null) {
            throw new KensaException(where + ": empty (null)");
        }
        String problem = r.problem();
        if (problem != null) {
            throw new KensaException(where + ": " + problem);
        }
        return r;
    }

    /** Writes this record as indented JSON (after validating it). */
    public void write(Path file) {
        try {
            Files.write(file, toJson());
        } catch (IOException e) {
            throw new KensaException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    public byte[] toJson() {
        String problem = problem();
        if (problem != null) {
            throw new IllegalStateException("refusing to write an invalid calibration record: " + problem);
        }
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a calibration record", e);
        }
    }

    /** What is wrong with this record, or null: every value finite and in range, and the counts agree. */
    public String problem() {
        if (!FORMAT.equals(format)) {
            return "format is " + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "'";
        }
        if (method == null) {
            return "method missing";
        }
        if (scores == null || scores.isEmpty()) {
            return "no calibration scores";
        }
        int n = scores.size();
        if (method == Method.KFOLD ? folds == null || folds < 2 || folds > n : folds != null) {
            return method == Method.KFOLD ? "kfold needs folds in 2.." + n + ", got " + folds
                    : "folds given for method " + method.id();
        }
        if (!(fprTarget >= 0 && fprTarget < 1)) {
            return "fprTarget must be in [0, 1), got " + fprTarget;
        }
        if (margin != null && !(margin >= 0 && Double.isFinite(margin))) {
            return "margin must be a finite number >= 0, got " + margin;
        }
        if (!Double.isFinite(threshold)) {
            return "threshold is not a finite number";
        }
        int above = 0;
        for (int i = 0; i < n; i++) {
            Score s = scores.get(i);
            if (s == null || s.file() == null || s.file().isBlank()) {
                return "scores[" + i + "].file missing";
            }
            if (!Double.isFinite(s.score())) {
                return "scores[" + i + "].score is not a finite number";
            }
            if (s.score() > threshold) {
                above++;
            }
        }
        if (falseRejects == null) {
            return "falseRejects missing";
        }
        if (falseRejects.n() != n || falseRejects.k() != above) {
            return "falseRejects says " + falseRejects.k() + " of " + falseRejects.n() + " goods above the threshold, the scores give "
                    + above + " of " + n;
        }
        BinomialInterval expected = BinomialInterval.clopperPearson(above, n, falseRejects.confidence());
        if (Math.abs(expected.lower() - falseRejects.lower()) > 1e-9 || Math.abs(expected.upper() - falseRejects.upper()) > 1e-9
                || Math.abs(expected.rate() - falseRejects.rate()) > 1e-12) {
            return "falseRejects interval [" + falseRejects.lower() + ", " + falseRejects.upper() + "] is not the Clopper-Pearson interval ["
                    + expected.lower() + ", " + expected.upper() + "] of " + above + " in " + n;
        }
        if (quality == null || quality.limits() == null) {
            return "quality.limits missing";
        }
        String limits = quality.limits().problem();
        if (limits != null) {
            return "quality.limits: " + limits;
        }
        if (quality.images() == null || quality.images().isEmpty()) {
            return "quality.images missing";
        }
        for (int i = 0; i < quality.images().size(); i++) {
            FitImage f = quality.images().get(i);
            String at = "quality.images[" + i + "]";
            if (f == null || f.file() == null || f.file().isBlank()) {
                return at + ".file missing";
            }
            if (f.width() < 1 || f.height() < 1) {
                return at + " size " + f.width() + "x" + f.height() + " is not positive";
            }
            if (!(f.brightness() >= 0 && f.contrast() >= 0 && f.focus() >= 0)
                    || !Double.isFinite(f.brightness() + f.contrast() + f.focus())) {
                return at + " statistics must be finite and >= 0";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- use

    /** The calibration scores, in file order. */
    public double[] scoreValues() {
        double[] v = new double[scores.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = scores.get(i).score();
        }
        return v;
    }

    /**
     * The reference distribution for the drift monitor: the calibration scores when they come from models that did
     * not see the images (comparable with live scores), else null (in-sample scores are about 30 % lower than live
     * goods and would raise a drift warning on a healthy line).
     */
    public double[] driftReference() {
        return method.outOfSample() ? scoreValues() : null;
    }

    // ---------------------------------------------------------------- helpers

    private static String mappingProblem(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String original = String.valueOf(e.getOriginalMessage());
        if (original.startsWith("Missing creator property") || original.startsWith("Missing required creator property")) {
            return (path.length() == 0 ? "a field" : path) + " missing";
        }
        if (original.startsWith("Cannot map `null`")) {
            return (path.length() == 0 ? "a field" : path) + " is null";
        }
        String reason = root instanceof IllegalArgumentException ? root.getMessage() : original;
        return (path.length() == 0 ? "" : path + ": ") + firstLine(reason) + at(e.getLocation());
    }

    /** The JSON syntax error behind {@code e} (truncated file, NaN token), or null when the JSON is well formed. */
    private static StreamReadException syntaxError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamReadException s) {
                return s;
            }
        }
        return null;
    }

    private static String syntaxMessage(StreamReadException e) {
        String m = firstLine(e.getOriginalMessage());
        int marker = m.indexOf(" (start marker");
        return marker > 0 ? m.substring(0, marker) : m;
    }

    private static String at(JsonLocation l) {
        return l == null || l.getLineNr() < 0 ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown problem";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
