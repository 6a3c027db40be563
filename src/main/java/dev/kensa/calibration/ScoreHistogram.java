package dev.kensa.calibration;

import dev.kensa.util.Templates;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores counted in bins, one or more series side by side (the goods of a calibration; the good and defective test
 * images of an eval), against a threshold; and its drawing, the one SVG histogram of the reports
 * ({@code templates/score-histogram.svg}): bars per bin and series, a count axis with a gridline per tick, the score
 * axis, and the threshold as a dashed line whose label sits in a band above the plot, where no bar reaches, kept
 * inside the picture.
 *
 * <p>Bin b holds the scores in (edge(b), edge(b+1)], the first also its lower edge: a score equal to the threshold
 * passes (only score &gt; threshold is NG), so with bins aligned to the threshold ({@link #alignedTo}) every bar left
 * of the line passes and every bar right of it is rejected.
 */
public final class ScoreHistogram {
    /** Green and red of the reports: passes or good parts, rejected or defective parts. */
    public static final String GREEN = "#2e8b57";
    public static final String RED = "#c0392b";

    // geometry: the threshold label sits in the band between y = 0 and TOP, above every bar
    static final int PLOT_W = 420;
    static final int PLOT_H = 220;
    static final int LEFT = 44;
    static final int TOP = 30;
    static final int BOTTOM = 58;
    static final int RIGHT = 16;

    /**
     * One kind of score, counted per bin.
     *
     * @param kind        its name in the picture (CSS class of its bars, legend)
     * @param counts      scores per bin
     * @param colour      fill of its bars at or below the threshold
     * @param colourAbove fill of its bars above the threshold
     */
    public record Series(String kind, int[] counts, String colour, String colourAbove) {
    }

    /**
     * The words of a drawing.
     *
     * @param aria         its accessible name
     * @param counts       what the bars count (the count axis' title)
     * @param score        the line under the score axis
     * @param threshold    the threshold's label, e.g. {@code threshold 18.91}
     * @param tickDecimals decimals of the score axis' labels
     */
    public record Labels(String aria, String counts, String score, String threshold, int tickDecimals) {
    }

    private final double[] edges;
    private final double threshold;
    private final List<Series> series;

    /**
     * @param edges     bins + 1 ascending bin edges
     * @param threshold where the dashed line goes
     * @param series    at least one, each with a count per bin
     */
    public ScoreHistogram(double[] edges, double threshold, List<Series> series) {
        if (edges.length < 2 || series.isEmpty()) {
            throw new IllegalArgumentException("a histogram needs a bin and a series");
        }
        for (Series s : series) {
            if (s.counts().length != edges.length - 1) {
                throw new IllegalArgumentException(s.kind() + ": " + s.counts().length + " counts for " + (edges.length - 1) + " bins");
            }
        }
        this.edges = edges.clone();
        this.threshold = threshold;
        this.series = List.copyOf(series);
    }

    /**
     * Bins aligned to the threshold: about sqrt(n) + 2 of them (5 to 30) over the scores and the threshold, one edge
     * exactly at the threshold, so {@link #below()} bins pass and the rest are rejected. One series, green below and
     * red above the threshold.
     */
    public static ScoreHistogram alignedTo(double threshold, double[] scores, String kind) {
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
        double[] edges = new double[below + above + 1];
        for (int b = 0; b < edges.length; b++) {
            edges[b] = b == below ? threshold : start + b * width;
        }
        return new ScoreHistogram(edges, threshold, List.of(new Series(kind, count(edges, scores), GREEN, RED)));
    }

    /** {@code bins} bins of equal width from {@code lo} to {@code hi} (one of width 1 when they are equal). */
    public static double[] evenEdges(int bins, double lo, double hi) {
        double width = hi > lo ? (hi - lo) / bins : 1;
        double[] edges = new double[bins + 1];
        for (int b = 0; b <= bins; b++) {
            edges[b] = lo + b * width;
        }
        if (hi > lo) {
            edges[bins] = hi; // exactly, not lo + bins * width rounded
        }
        return edges;
    }

    /** The scores per bin; scores outside the edges count in the first or last bin. */
    public static int[] count(double[] edges, double[] scores) {
        int bins = edges.length - 1;
        int[] counts = new int[bins];
        for (double s : scores) {
            int at = Arrays.binarySearch(edges, s);
            int b = at >= 0 ? at - 1 : -at - 2; // an edge closes the bin below it
            counts[Math.max(0, Math.min(bins - 1, b))]++;
        }
        return counts;
    }

    public int bins() {
        return edges.length - 1;
    }

    public double edge(int b) {
        return edges[b];
    }

    /** The first bin whose lower edge is at or above the threshold ({@link #bins()} when there is none). */
    public int below() {
        int b = 0;
        while (b < bins() && edges[b] < threshold) {
            b++;
        }
        return b;
    }

    /** The first series' count in bin b. */
    public int count(int b) {
        return series.get(0).counts()[b];
    }

    public int maxCount() {
        int m = 0;
        for (Series s : series) {
            for (int c : s.counts()) {
                m = Math.max(m, c);
            }
        }
        return m;
    }

    /** Decimals that tell neighbouring edges apart. */
    public int decimals() {
        double width = (edges[bins()] - edges[0]) / bins();
        return Math.max(0, Math.min(6, (int) Math.ceil(-Math.log10(width)) + 1));
    }

    /**
     * The drawing as an {@code <svg>} element.
     *
     * @param standalone with the SVG namespace, for an .svg file or an XML parser; inline SVG in HTML needs none
     */
    public String svg(Labels labels, boolean standalone) {
        int most = Math.max(1, maxCount());
        int step = niceStep(most);
        int top = (most + step - 1) / step * step; // the axis ends on a tick at or above the tallest bar
        List<Map<String, Object>> ticks = new ArrayList<>();
        for (int c = 0; c <= top; c += step) {
            double y = TOP + PLOT_H - (double) c * PLOT_H / top;
            ticks.add(Templates.data("y", fixed(y, 1), "textY", fixed(y + 4, 1), "count", String.valueOf(c)));
        }
        double lo = edges[0];
        double span = edges[bins()] - lo == 0 ? 1 : edges[bins()] - lo;
        double bw = (double) PLOT_W / bins();
        double sub = bw / series.size();
        boolean several = series.size() > 1;
        int d = decimals();
        List<Map<String, Object>> bars = new ArrayList<>();
        for (int b = 0; b < bins(); b++) {
            for (int k = 0; k < series.size(); k++) {
                Series s = series.get(k);
                int c = s.counts()[b];
                if (c == 0) {
                    continue;
                }
                double h = (double) c * PLOT_H / top;
                String range = fixed(edges[b], d) + " – " + fixed(edges[b + 1], d);
                bars.add(Templates.data("kind", s.kind(), "count", String.valueOf(c),
                        "x", fixed(LEFT + b * bw + k * sub + 0.5, 1), "y", fixed(TOP + PLOT_H - h, 1),
                        "w", fixed(Math.max(1, sub - 1), 1), "h", fixed(h, 1),
                        "fill", edges[b] < threshold ? s.colour() : s.colourAbove(),
                        "title", (several ? s.kind() + " " : "") + range + ": " + c));
            }
        }
        double tx = LEFT + (threshold - lo) / span * PLOT_W;
        boolean labelLeft = tx > LEFT + PLOT_W / 2.0;
        List<Map<String, Object>> scoreTicks = new ArrayList<>();
        String[] anchors = {"start", "middle", "end"};
        for (int k = 0; k < 3; k++) {
            double v = lo + span * k / 2;
            scoreTicks.add(Templates.data("x", fixed(LEFT + (double) PLOT_W * k / 2, 1), "anchor", anchors[k],
                    "text", fixed(v, labels.tickDecimals())));
        }
        List<Map<String, Object>> legend = new ArrayList<>();
        if (several) {
            for (Series s : series) {
                legend.add(Templates.data("kind", s.kind(), "colour", s.colour()));
            }
        }
        return Templates.render("score-histogram.svg", Templates.data(
                "standalone", standalone, "aria", labels.aria(),
                "width", String.valueOf(LEFT + PLOT_W + RIGHT), "height", String.valueOf(TOP + PLOT_H + BOTTOM),
                "left", String.valueOf(LEFT), "tickX", String.valueOf(LEFT - 6), "right", String.valueOf(LEFT + PLOT_W),
                "top", String.valueOf(TOP), "bottom", String.valueOf(TOP + PLOT_H), "middle", String.valueOf(TOP + PLOT_H / 2),
                "ticks", ticks, "counts", labels.counts(), "bars", bars,
                "thresholdX", fixed(tx, 1), "thresholdTop", String.valueOf(TOP - 6),
                "labelX", fixed(labelLeft ? tx - 4 : tx + 4, 1), "labelY", String.valueOf(TOP - 10),
                "labelAnchor", labelLeft ? "end" : "start", "threshold", labels.threshold(),
                "scoreTicks", scoreTicks, "tickY", String.valueOf(TOP + PLOT_H + 16),
                "legendX", String.valueOf(LEFT + PLOT_W / 2), "legendY", String.valueOf(TOP + PLOT_H + 40),
                "score", labels.score(), "legend", legend)).strip();
    }

    /** A tick step of 1, 2 or 5 times a power of ten that gives at most five steps up to {@code most}. */
    static int niceStep(int most) {
        for (int p = 1; ; p *= 10) {
            for (int m : new int[]{1, 2, 5}) {
                if ((long) m * p * 5 >= most) {
                    return m * p;
                }
            }
        }
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
