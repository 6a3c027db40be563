package dev.kensa.calibration;

import dev.kensa.util.Templates;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@link CalibrationRecord} for people: the method and false-reject lines ({@code kensa fit}), the score histogram
 * split at the threshold as terminal text ({@code kensa bundle info}, {@code templates/calibration.txt}), as SVG
 * ({@link ScoreHistogram}) and as an HTML figure with its caption (the eval report, {@code templates/calibration.html}).
 */
public final class CalibrationView {
    private CalibrationView() {
    }

    /** {@code expected false-reject rate 0.96 % (95 % CI 0.12–3.41 %, 209 goods)}, for fit, bundle info and reports. */
    public static String falseRejectLine(CalibrationRecord r) {
        BinomialInterval f = r.falseRejects();
        return "expected false-reject rate " + pct(f.rate()) + " % (" + pct(f.confidence()) + " % CI "
                + pct(f.lower()) + "–" + pct(f.upper()) + " %, " + f.n() + " goods)";
    }

    /** One line on where the calibration scores came from. */
    public static String methodLine(CalibrationRecord r) {
        CalibrationRecord.Method method = r.method();
        String m = method.words() + (method == CalibrationRecord.Method.KFOLD ? " (k=" + r.folds() + ")" : "");
        String target = r.fprTarget() == 0
                ? "threshold " + num(r.threshold()) + " = largest good score + " + pct(r.margin() == null ? 0 : r.margin()) + " %"
                : "threshold " + num(r.threshold()) + " for a target false-reject rate of " + pct(r.fprTarget()) + " %";
        return "calibration: " + r.scores().size() + " goods, " + m + "; " + target;
    }

    /** The calibration scores in bins aligned to the threshold. */
    public static ScoreHistogram histogram(CalibrationRecord r) {
        return ScoreHistogram.alignedTo(r.threshold(), r.scoreValues(), "goods");
    }

    /**
     * The score histogram as text for a terminal ({@code kensa fit}, {@code kensa bundle info}): one row per bin with
     * its count and a bar, a line where the threshold lies (bins are aligned to it: every row below the line passes,
     * every row above it is NG), then the expected false-reject rate.
     */
    public static String text(CalibrationRecord r) {
        ScoreHistogram h = histogram(r);
        int top = Math.max(1, h.maxCount());
        int decimals = h.decimals();
        String[] labels = new String[h.bins()];
        int labelWidth = 0;
        for (int b = 0; b < h.bins(); b++) {
            labels[b] = ScoreHistogram.fixed(h.edge(b), decimals) + " – " + ScoreHistogram.fixed(h.edge(b + 1), decimals);
            labelWidth = Math.max(labelWidth, labels[b].length());
        }
        int countWidth = Math.max(5, String.valueOf(top).length());
        String thresholdRow = thresholdRow(r.threshold(), labelWidth + countWidth + 4);
        List<String> rows = new ArrayList<>();
        for (int b = 0; b < h.bins(); b++) {
            if (b == h.below()) {
                rows.add(thresholdRow);
            }
            int c = h.count(b);
            String bar = c == 0 ? "" : "  " + "#".repeat((int) Math.ceil(40.0 * c / top));
            rows.add(String.format(Locale.ROOT, "  %" + labelWidth + "s  %" + countWidth + "d%s", labels[b], c, bar));
        }
        if (h.below() == h.bins()) {
            rows.add(thresholdRow);
        }
        return Templates.render("calibration.txt", Templates.data("method", methodLine(r),
                "header", String.format(Locale.ROOT, "  %" + labelWidth + "s  %" + countWidth + "s", "score", "goods"),
                "rows", rows, "falseRejects", falseRejectLine(r)));
    }

    private static String thresholdRow(double threshold, int width) {
        String label = " threshold " + num(threshold) + " (above: NG) ";
        int dashes = Math.max(4, width + 30 - label.length());
        return "  " + "-".repeat(dashes / 2) + label + "-".repeat(dashes - dashes / 2);
    }

    /**
     * The score histogram as an SVG document: bars of goods per bin (green at or below the threshold, red above), a
     * count axis, the score axis and the threshold as a dashed line.
     */
    public static String svg(CalibrationRecord r) {
        return svg(r, true);
    }

    private static String svg(CalibrationRecord r, boolean standalone) {
        ScoreHistogram h = histogram(r);
        return h.svg(new ScoreHistogram.Labels("calibration scores of " + r.scores().size() + " goods with the threshold",
                "goods", "calibration score (green: passes, red: above the threshold)", "threshold " + num(r.threshold()),
                h.decimals()), standalone);
    }

    /** The histogram in an HTML figure with the method and the false-reject line as its caption. */
    public static String html(CalibrationRecord r) {
        return figure(r, null);
    }

    /** {@link #html}, the figure with an id (the eval report's {@code calibration}). */
    public static String figure(CalibrationRecord r, String id) {
        // inline SVG in HTML needs no namespace, and a self-contained report names no URL
        return Templates.render("calibration.html", Templates.data("id", id, "svg", Templates.markup(svg(r, false)),
                "method", methodLine(r), "falseRejects", falseRejectLine(r))).strip();
    }

    /** A percentage for people: 0, 0.0037, 0.96, 12.3, 100. */
    static String pct(double p) {
        double x = 100 * p;
        if (x == Math.rint(x)) {
            return String.valueOf((long) x);
        }
        if (x >= 10) {
            return ScoreHistogram.fixed(x, 1);
        }
        if (x >= 0.1) {
            return ScoreHistogram.fixed(x, 2);
        }
        return new BigDecimal(x).round(new MathContext(2)).stripTrailingZeros().toPlainString();
    }

    /** A score or threshold: four significant digits, at least two decimals below 100. */
    static String num(double v) {
        return ScoreHistogram.fixed(v, Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 4);
    }
}
