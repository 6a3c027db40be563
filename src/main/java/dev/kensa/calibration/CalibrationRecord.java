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
import java.util.Locale;

/**
 * {@code calibration.json} of a bundle (DESIGN.md §5, issue 12): where the threshold came from and how sure it is.
 * The calibration scores of the good images with their file names, the method that produced them, the target
 * false-reject rate, the threshold, the false-reject rate those goods give with its exact 95 % interval, and the
 * image-quality statistics of the fit images with the limits learned from them.
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

    // ---------------------------------------------------------------- rendering

    /** {@code expected false-reject rate 0.96 % (95 % CI 0.12–3.41 %, 209 goods)}, for fit, bundle info and reports. */
    public String falseRejectLine() {
        return "expected false-reject rate " + pct(falseRejects.rate()) + " % (" + pct(falseRejects.confidence()) + " % CI "
                + pct(falseRejects.lower()) + "–" + pct(falseRejects.upper()) + " %, " + falseRejects.n() + " goods)";
    }

    /** One line on where the calibration scores came from. */
    public String methodLine() {
        String m = method.words + (method == Method.KFOLD ? " (k=" + folds + ")" : "");
        String target = fprTarget == 0
                ? "threshold " + num(threshold) + " = largest good score + " + pct(margin == null ? 0 : margin) + " %"
                : "threshold " + num(threshold) + " for a target false-reject rate of " + pct(fprTarget) + " %";
        return "calibration: " + scores.size() + " goods, " + m + "; " + target;
    }

    /**
     * The score histogram as text for a terminal ({@code kensa fit}, {@code kensa bundle info}): one row per bin with
     * its count and a bar, a line where the threshold lies (bins are aligned to it: every row below the line passes,
     * every row above it is NG), then the expected false-reject rate.
     */
    public String renderText() {
        Histogram h = Histogram.of(scoreValues(), threshold);
        int top = Math.max(1, h.maxCount());
        int decimals = h.decimals();
        String[] labels = new String[h.bins()];
        int labelWidth = 0;
        for (int b = 0; b < h.bins(); b++) {
            labels[b] = fixed(h.edge(b), decimals) + " – " + fixed(h.edge(b + 1), decimals);
            labelWidth = Math.max(labelWidth, labels[b].length());
        }
        int countWidth = Math.max(5, String.valueOf(top).length());
        StringBuilder t = new StringBuilder(methodLine()).append('\n');
        t.append(String.format(Locale.ROOT, "  %" + labelWidth + "s  %" + countWidth + "s%n", "score", "goods"));
        for (int b = 0; b < h.bins(); b++) {
            if (b == h.below()) {
                t.append(thresholdRow(labelWidth + countWidth + 4));
            }
            int c = h.count(b);
            String bar = c == 0 ? "" : "  " + "#".repeat((int) Math.ceil(40.0 * c / top));
            t.append(String.format(Locale.ROOT, "  %" + labelWidth + "s  %" + countWidth + "d%s%n", labels[b], c, bar));
        }
        if (h.below() == h.bins()) {
            t.append(thresholdRow(labelWidth + countWidth + 4));
        }
        return t.append(falseRejectLine()).append('\n').toString();
    }

    private String thresholdRow(int width) {
        String label = " threshold " + num(threshold) + " (above: NG) ";
        int dashes = Math.max(4, width + 30 - label.length());
        return "  " + "-".repeat(dashes / 2) + label + "-".repeat(dashes - dashes / 2) + "\n";
    }

    /**
     * The score histogram as an inline SVG element for the eval HTML report: bars of goods per bin (green at or below
     * the threshold, red above), a count axis, the score axis and the threshold as a dashed line.
     */
    public String renderSvg() {
        Histogram h = Histogram.of(scoreValues(), threshold);
        int step = niceStep(Math.max(1, h.maxCount()));
        int top = (int) Math.ceil((double) Math.max(1, h.maxCount()) / step) * step;
        int left = 44, right = 16, plotW = 420, plotH = 200, y0 = 14;
        double bw = (double) plotW / h.bins();
        int d = h.decimals();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
                + "aria-label=\"calibration scores of %d goods with the threshold\">", left + plotW + right, y0 + plotH + 48, scores.size()));
        // count axis: a grid line and a label per tick
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#99a\"/>", left, y0, left, y0 + plotH));
        for (int c = 0; c <= top; c += step) {
            double y = y0 + plotH - (double) c * plotH / top;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d</text>",
                    left - 4, y, left + plotW, y, c == 0 ? "#99a" : "#e3e6ea", left - 7, y + 4, c));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 12 %d)\">goods</text>", y0 + plotH / 2, y0 + plotH / 2));
        for (int b = 0; b < h.bins(); b++) {
            double bh = (double) h.count(b) * plotH / top;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                            + "<title>%s – %s: %d</title></rect>", left + b * bw + 1, y0 + plotH - bh, Math.max(1, bw - 2), bh,
                    b < h.below() ? "#2e8b57" : "#c0392b", fixed(h.edge(b), d), fixed(h.edge(b + 1), d), h.count(b)));
        }
        double tx = left + h.below() * bw;
        boolean labelLeft = h.below() * 2 > h.bins();
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#111\" stroke-dasharray=\"5 3\"/>"
                        + "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"%s\">threshold %s</text>",
                tx, y0 - 8, tx, y0 + plotH + 6, tx + (labelLeft ? -4 : 4), y0, labelLeft ? "end" : "start", num(threshold)));
        int ly = y0 + plotH + 18;
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>"
                        + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>"
                        + "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">calibration score "
                        + "(green: passes, red: above the threshold)</text></svg>",
                left, ly, fixed(h.edge(0), d), left + plotW, ly, fixed(h.edge(h.bins()), d), left + plotW / 2, ly + 18));
        return s.toString();
    }

    /** {@link #renderSvg()} in a figure with the method and the false-reject line as its caption. */
    public String renderHtml() {
        return "<figure class=\"calibration\">" + renderSvg() + "<figcaption>" + escape(methodLine()) + "<br/>"
                + escape(falseRejectLine()) + "</figcaption></figure>";
    }

    // ---------------------------------------------------------------- helpers

    private static int niceStep(int top) {
        for (int scale = 1; ; scale *= 10) {
            for (int m : new int[]{1, 2, 5}) {
                if (top / (m * scale) <= 5) {
                    return m * scale;
                }
            }
        }
    }

    /** A percentage for people: 0, 0.0037, 0.96, 12.3, 100. */
    static String pct(double p) {
        double x = 100 * p;
        if (x == Math.rint(x)) {
            return String.valueOf((long) x);
        }
        if (x >= 10) {
            return fixed(x, 1);
        }
        if (x >= 0.1) {
            return fixed(x, 2);
        }
        return new java.math.BigDecimal(x).round(new java.math.MathContext(2)).stripTrailingZeros().toPlainString();
    }

    /** A score or threshold: four significant digits, at least two decimals below 100. */
    static String num(double v) {
        return Math.abs(v) >= 100 ? fixed(v, 1) : Math.abs(v) >= 1 ? fixed(v, 2) : fixed(v, 4);
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

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

    /**
     * Histogram bins aligned to the threshold: bin b covers (edge(b), edge(b+1)], the lowest also its lower edge, and
     * edge(below()) is the threshold exactly, so bins [0, below) hold the goods that pass and the rest those rejected.
     */
    static final class Histogram {
        private final double start;
        private final double width;
        private final double threshold;
        private final int below;
        private final int[] counts;

        private Histogram(double start, double width, double threshold, int below, int[] counts) {
            this.start = start;
            this.width = width;
            this.threshold = threshold;
            this.below = below;
            this.counts = counts;
        }

        static Histogram of(double[] scores, double threshold) {
            double lo = threshold;
            double hi = threshold;
            for (double s : scores) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
            int target = Math.max(5, Math.min(30, (int) Math.round(Math.sqrt(scores.length)) + 2));
            double width = (hi - lo) / target;
            if (!(width > 0)) {
                width = Math.max(Math.abs(threshold) * 0.05, 1e-6);
            }
            int below = Math.max(1, (int) Math.ceil((threshold - lo) / width - 1e-9));
            int above = hi > threshold ? Math.max(1, (int) Math.ceil((hi - threshold) / width - 1e-9)) : 0;
            double start = threshold - below * width;
            int[] counts = new int[below + above];
            for (double s : scores) {
                int b;
                if (s <= threshold) {
                    b = Math.min(below - 1, Math.max(0, (int) Math.ceil((s - start) / width) - 1));
                } else {
                    b = Math.min(below + above - 1, Math.max(below, below + (int) Math.ceil((s - threshold) / width) - 1));
                }
                counts[b]++;
            }
            return new Histogram(start, width, threshold, below, counts);
        }

        int bins() {
            return counts.length;
        }

        int below() {
            return below;
        }

        int count(int b) {
            return counts[b];
        }

        double edge(int b) {
            return b == below ? threshold : start + b * width;
        }

        int maxCount() {
            int m = 0;
            for (int c : counts) {
                m = Math.max(m, c);
            }
            return m;
        }

        /** Decimals that tell neighbouring edges apart. */
        int decimals() {
            return Math.max(0, Math.min(6, (int) Math.ceil(-Math.log10(width)) + 1));
        }
    }
}
