package dev.kensa.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code kensa eval --html} report (DESIGN §9): one self-contained file (inline SVG and JPEGs, no external
 * resources) with, in order: the model, dataset and date; the figures; the inference time per stage; the image ROC
 * curve and the score histogram (counts on a y axis, the bundle's threshold marked above the bars); a table per
 * defect type (images, caught at the shipped threshold, mean score); and heatmaps of the cases an engineer looks at
 * first: missed defects, false rejects and the highest-scoring defects.
 *
 * <p>Written as well-formed XHTML-compatible HTML (quoted attributes, closed elements, numeric entities), so tests
 * and tools can parse it with an XML parser. The defect type of a test image is its folder under {@code test/}
 * (MVTec layout), or its parent folder.
 */
public final class HtmlReport {
    static final int GALLERY = 8;
    static final String GOOD = "good";

    private HtmlReport() {
    }

    /** What the header names besides the dataset: the evaluated bundle's id and when the report was made. */
    public record Header(String modelId, Instant date) {
    }

    public static void write(Path file, Evaluator.Evaluation e, Header header) throws IOException {
        Files.writeString(file, render(e, header));
    }

    /** Without a model id (the caller does not have the bundle), dated now. */
    public static void write(Path file, Evaluator.Evaluation e) throws IOException {
        write(file, e, new Header(null, Instant.now()));
    }

    static String render(Evaluator.Evaluation e, Header header) {
        EvalReport r = e.report();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>Kensa eval: ")
                .append(esc(datasetName(r.dataset()))).append("</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1200px}"
                        + "h1{font-size:20px;margin-bottom:4px}h2{font-size:16px;margin-top:28px}.meta{color:#4a5560;margin-top:0}"
                        + "table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #e3e6ea;text-align:left}"
                        + "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
                        + ".tables{display:flex;gap:40px;flex-wrap:wrap;align-items:flex-start}"
                        + ".charts{display:flex;gap:32px;flex-wrap:wrap}.gallery{display:flex;flex-wrap:wrap;gap:12px}"
                        + "figure{margin:0;width:200px}figure img{width:200px;height:auto;border:1px solid #ccd}"
                        + "figcaption{font-size:12px;word-break:break-all}.caught{color:#b3261e}.passed{color:#1e7b34}"
                        + ".missed{color:#8a4b00;background:#fff1d6;padding:0 3px}.false-reject{color:#8a4b00;background:#fff1d6;padding:0 3px}"
                        + ".note{color:#667}figure.calibration{width:auto}figure.calibration figcaption{font-size:13px;word-break:normal}")
                .append("</style></head><body>");
        header(h, r, header);
        h.append("<div class=\"tables\"><div>");
        figures(h, r);
        h.append("</div><div><h2 id=\"h-timings\">Inference time per image</h2>");
        timings(h, r.timingsMs());
        h.append("</div></div>");
        h.append("<div class=\"charts\"><div><h2>Image ROC</h2>").append(rocSvg(e)).append("</div>");
        h.append("<div><h2>Image scores</h2>").append(histogramSvg(e)).append("</div></div>");
        calibration(h, e);
        byType(h, e);
        operatingPoints(h, e.report());
        galleries(h, e);
        h.append("<p class=\"note\">Heatmap colours are anchored to the threshold: blue is well below it, "
                + "green-yellow at it, red at 1.5x and above.</p></body></html>\n");
        return h.toString();
    }

    private static void header(StringBuilder h, EvalReport r, Header header) {
        h.append("<h1>Kensa evaluation: ").append(esc(datasetName(r.dataset()))).append("</h1>");
        h.append("<p class=\"meta\" id=\"meta\">model <b id=\"model-id\">")
                .append(esc(header.modelId() == null ? "(not recorded)" : header.modelId()))
                .append("</b> &#183; dataset <span id=\"dataset\">").append(esc(r.dataset()))
                .append("</span> &#183; <time id=\"date\" datetime=\"").append(header.date().toString()).append("\">")
                .append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC)
                        .format(header.date()))
                .append("</time></p>");
    }

    private static void figures(StringBuilder h, EvalReport r) {
        h.append("<table id=\"figures\">");
        row(h, "image AUROC", fmt(r.imageAuroc(), 4));
        row(h, "pixel AUROC", r.pixelAuroc() == null ? esc(r.pixelMetricsNote()) : fmt(r.pixelAuroc(), 4));
        row(h, "AUPRO (FPR &#8804; 0.3)", r.aupro() == null ? "unavailable" : fmt(r.aupro(), 4));
        row(h, "F1-max (image)", fmt(r.f1Max(), 4));
        row(h, "threshold", fmt(r.threshold(), 4) + " (" + esc(r.thresholdSource()) + ")");
        row(h, "at that threshold on test", "false rejects " + pct(r.thresholdFpr()) + ", defects caught " + pct(r.thresholdTpr()));
        row(h, "images", r.trainImages() + " train, " + r.images() + " test");
        row(h, "field of view", esc(r.fieldOfView()));
        row(h, "fit", fmt(r.fitSeconds(), 1) + " s + calibration " + fmt(r.calibrationSeconds(), 1) + " s");
        row(h, "backend", esc(r.backend()));
        h.append("</table>");
    }

    /** Per-stage means as a small table, total last. */
    private static void timings(StringBuilder h, Map<String, Double> ms) {
        h.append("<table id=\"timings\"><thead><tr><th>stage</th><th class=\"num\">ms / image</th></tr></thead><tbody>");
        if (ms != null) {
            for (Map.Entry<String, Double> t : ms.entrySet()) {
                boolean total = t.getKey().equals("total");
                h.append("<tr><td>").append(total ? "<b>total</b>" : esc(t.getKey())).append("</td><td class=\"num\">")
                        .append(t.getValue() == null ? "" : (total ? "<b>" + fmt(t.getValue(), 1) + "</b>" : fmt(t.getValue(), 1)))
                        .append("</td></tr>");
            }
        }
        h.append("</tbody></table>");
    }

    /** The defect type of a test image: its folder under {@code test/} (MVTec layout), else its parent folder. */
    static String typeOf(Path image) {
        Path parent = image.getParent();
        if (parent == null) {
            return "?";
        }
        for (Path p = parent; p != null && p.getParent() != null; p = p.getParent()) {
            if (p.getParent().getFileName() != null && p.getParent().getFileName().toString().equals("test")) {
                return p.getFileName().toString();
            }
        }
        return parent.getFileName().toString();
    }

    /**
     * The bundle's calibration: the scores of the goods the threshold was chosen from as a histogram split at the
     * threshold, with the expected false-reject rate and its 95 % interval; or why there is none.
     */
    private static void calibration(StringBuilder h, Evaluator.Evaluation e) {
        h.append("<h2 id=\"h-calibration\">Calibration of the threshold</h2>");
        dev.kensa.calibration.CalibrationRecord c = e.calibration();
        if (c == null) {
            h.append("<p class=\"note\" id=\"no-calibration\">The bundle has no calibration record (written before "
                    + "calibration.json): no score distribution or false-reject interval to show.</p>");
            return;
        }
        // inline SVG in HTML needs no namespace, and the report names no URL (it is self-contained)
        h.append("<figure class=\"calibration\" id=\"calibration\">")
                .append(c.renderSvg().replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
                .append("<figcaption>").append(esc(c.methodLine())).append("<br/><b id=\"false-reject-line\">")
                .append(esc(c.falseRejectLine())).append("</b></figcaption></figure>");
    }

    /**
     * TPR and FPR on the test set at the shipped threshold and at the test goods' own FPR 0 / 1 / 5 % thresholds, then
     * the defects caught at FPR 0 % (the NG list an engineer reviews), highest score first.
     */
    private static void operatingPoints(StringBuilder h, EvalReport r) {
        h.append("<h2 id=\"h-operating-points\">Operating points on the test set</h2>");
        h.append("<table id=\"operating-points\"><thead><tr><th>threshold at</th><th class=\"num\">threshold</th>"
                + "<th class=\"num\">defects caught (TPR)</th><th class=\"num\">false rejects (FPR)</th></tr></thead><tbody>");
        for (EvalReport.OperatingPoint op : r.operatingPoints() == null ? List.<EvalReport.OperatingPoint>of() : r.operatingPoints()) {
            h.append("<tr data-point=\"").append(esc(op.name())).append("\"><td>").append(esc(pointWords(op.name())))
                    .append("</td><td class=\"num\">").append(fmt(op.threshold(), 4)).append("</td><td class=\"num\">")
                    .append(pct(op.tpr())).append("</td><td class=\"num\">").append(pct(op.fpr())).append("</td></tr>");
        }
        h.append("</tbody></table>");
        List<EvalReport.ScoredImage> ng = r.fpr0NgList() == null ? List.of() : r.fpr0NgList();
        h.append("<h2 id=\"h-fpr0-ng\">NG list at FPR 0 % &#8212; ").append(ng.size())
                .append(ng.size() == 1 ? " defect" : " defects").append(" above every test good</h2>");
        if (ng.isEmpty()) {
            h.append("<p class=\"note\" id=\"fpr0-ng-empty\">No defect scores above the highest test good.</p>");
            return;
        }
        h.append("<table id=\"fpr0-ng\"><thead><tr><th>image</th><th class=\"num\">score</th></tr></thead><tbody>");
        for (EvalReport.ScoredImage s : ng) {
            Path p = Path.of(s.image());
            h.append("<tr><td title=\"").append(esc(s.image())).append("\">").append(esc(typeOf(p) + "/" + p.getFileName()))
                    .append("</td><td class=\"num\">").append(fmt(s.score(), 4)).append("</td></tr>");
        }
        h.append("</tbody></table>");
    }

    private static String pointWords(String name) {
        return switch (name) {
            case "shipped" -> "shipped (the bundle's)";
            case "fpr0" -> "FPR 0 % (above every test good)";
            case "fpr1" -> "FPR 1 % of the test goods";
            case "fpr5" -> "FPR 5 % of the test goods";
            default -> name;
        };
    }

    /** Counts per type: images, above the threshold, mean score; good first, then defect types by name. */
    private static void byType(StringBuilder h, Evaluator.Evaluation e) {
        double thr = e.report().threshold();
        Map<String, List<Integer>> types = new TreeMap<>(Comparator.comparing((String t) -> !t.equals(GOOD)).thenComparing(t -> t));
        for (int i = 0; i < e.scores().length; i++) {
            String t = e.anomalous()[i] ? typeOf(e.images().get(i)) : GOOD;
            types.computeIfAbsent(t, k -> new ArrayList<>()).add(i);
        }
        h.append("<h2 id=\"h-by-type\">By defect type, at the shipped threshold ").append(fmt(thr, 2)).append("</h2>");
        h.append("<table id=\"by-type\"><thead><tr><th>type</th><th class=\"num\">images</th>"
                + "<th class=\"num\">caught</th><th class=\"num\">share caught</th><th class=\"num\">mean score</th>"
                + "<th class=\"num\">mean &#215; threshold</th></tr></thead><tbody>");
        for (Map.Entry<String, List<Integer>> t : types.entrySet()) {
            List<Integer> idx = t.getValue();
            int above = 0;
            double sum = 0;
            for (int i : idx) {
                above += e.scores()[i] > thr ? 1 : 0;
                sum += e.scores()[i];
            }
            double mean = sum / idx.size();
            boolean good = t.getKey().equals(GOOD);
            h.append("<tr data-type=\"").append(esc(t.getKey())).append("\"><td>").append(esc(t.getKey()))
                    .append(good ? " <span class=\"note\">(false rejects)</span>" : "").append("</td><td class=\"num\">")
                    .append(idx.size()).append("</td><td class=\"num\">").append(above).append("</td><td class=\"num\">")
                    .append(pct((double) above / idx.size())).append("</td><td class=\"num\">").append(fmt(mean, 2))
                    .append("</td><td class=\"num\">").append(fmt(mean / thr, 2)).append("</td></tr>");
        }
        h.append("</tbody></table>");
    }

    private static void galleries(StringBuilder h, Evaluator.Evaluation e) {
        double thr = e.report().threshold();
        List<Integer> missed = new ArrayList<>();
        List<Integer> falseRejects = new ArrayList<>();
        List<Integer> defects = new ArrayList<>();
        for (int i = 0; i < e.scores().length; i++) {
            if (e.anomalous()[i]) {
                defects.add(i);
                if (e.scores()[i] <= thr) {
                    missed.add(i);
                }
            } else if (e.scores()[i] > thr) {
                falseRejects.add(i);
            }
        }
        Comparator<Integer> byScore = Comparator.comparingDouble(i -> -e.scores()[i]);
        defects.sort(byScore);
        missed.sort(byScore);
        falseRejects.sort(byScore);
        gallery(h, e, "missed", "Missed defects (score at or below the threshold)", missed);
        gallery(h, e, "false-rejects", "False rejects (good parts above the threshold)", falseRejects);
        gallery(h, e, "top-defects", "Highest-scoring defects", defects);
    }

    private static void gallery(StringBuilder h, Evaluator.Evaluation e, String id, String title, List<Integer> which) {
        int shown = Math.min(GALLERY, which.size());
        h.append("<h2 id=\"h-").append(id).append("\">").append(esc(title)).append(" &#8212; ")
                .append(which.isEmpty() ? "none" : shown < which.size() ? "top " + shown + " of " + which.size()
                        : which.size() == 1 ? "1" : "all " + which.size())
                .append("</h2>");
        if (which.isEmpty()) {
            return;
        }
        h.append("<div class=\"gallery\" id=\"").append(id).append("\">");
        double thr = e.report().threshold();
        for (int i : which.subList(0, shown)) {
            Path p = e.images().get(i);
            String name = p.getParent().getFileName() + "/" + p.getFileName();
            double norm = e.scores()[i] / thr;
            boolean above = e.scores()[i] > thr;
            // the outcome, not the side of the threshold, picks the colour: a missed defect is a failure, never green
            String outcome = e.anomalous()[i] ? (above ? "caught" : "missed") : (above ? "false-reject" : "passed");
            h.append("<figure>");
            if (e.heatmaps()[i] != null) {
                h.append("<img alt=\"heatmap of ").append(esc(name)).append("\" src=\"data:image/jpeg;base64,")
                        .append(Base64.getEncoder().encodeToString(e.heatmaps()[i])).append("\"/>");
            }
            h.append("<figcaption>").append(esc(name)).append("<br/><b class=\"").append(outcome).append("\">")
                    .append(fmt(norm, 2)).append("&#215; threshold").append(outcome.equals("missed") ? " &#183; missed" : "")
                    .append(outcome.equals("false-reject") ? " &#183; false reject" : "")
                    .append("</b> (").append(fmt(e.scores()[i], 2)).append(")</figcaption></figure>");
        }
        h.append("</div>");
    }

    private static String rocSvg(Evaluator.Evaluation e) {
        Metrics.RocCurve roc = Metrics.roc(e.scores(), e.anomalous());
        int s = 280;
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < roc.fpr().length; i++) {
            pts.append(fmt(30 + roc.fpr()[i] * s, 1)).append(',').append(fmt(10 + (1 - roc.tpr()[i]) * s, 1)).append(' ');
        }
        return "<svg width=\"" + (s + 40) + "\" height=\"" + (s + 40)
                + "\" role=\"img\" aria-label=\"ROC curve\">"
                + "<rect x=\"30\" y=\"10\" width=\"" + s + "\" height=\"" + s + "\" fill=\"none\" stroke=\"#99a\"/>"
                + "<line x1=\"30\" y1=\"" + (10 + s) + "\" x2=\"" + (30 + s) + "\" y2=\"10\" stroke=\"#ccd\" stroke-dasharray=\"4 4\"/>"
                + "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"" + pts.toString().trim() + "\"/>"
                + "<text x=\"" + (30 + s / 2) + "\" y=\"" + (s + 34) + "\" text-anchor=\"middle\" font-size=\"12\">false positive rate</text>"
                + "<text x=\"12\" y=\"" + (10 + s / 2) + "\" font-size=\"12\" transform=\"rotate(-90 12 " + (10 + s / 2)
                + ")\" text-anchor=\"middle\">true positive rate</text>"
                + "<text x=\"" + (30 + s - 6) + "\" y=\"" + (10 + s - 8) + "\" text-anchor=\"end\" font-size=\"13\">AUROC "
                + fmt(e.report().imageAuroc(), 4) + "</text></svg>";
    }

    // histogram geometry: the threshold label sits in a band above the plot, where no bar reaches
    static final int PLOT_W = 420;
    static final int PLOT_H = 220;
    static final int LEFT = 44;
    static final int TOP = 30;
    static final int BOTTOM = 58;
    static final int RIGHT = 16;
    static final int FONT = 12;

    private static String histogramSvg(Evaluator.Evaluation e) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : e.scores()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double thr = e.report().threshold();
        min = Math.min(min, thr);
        max = Math.max(max, thr);
        int bins = 24;
        double width = (max - min) / bins;
        if (width <= 0) {
            width = 1;
        }
        int[] good = new int[bins];
        int[] bad = new int[bins];
        for (int i = 0; i < e.scores().length; i++) {
            int b = Math.min(bins - 1, (int) ((e.scores()[i] - min) / width));
            if (e.anomalous()[i]) {
                bad[b]++;
            } else {
                good[b]++;
            }
        }
        int most = 1;
        for (int b = 0; b < bins; b++) {
            most = Math.max(most, Math.max(good[b], bad[b]));
        }
        int step = niceStep(most);
        int top = (most + step - 1) / step * step; // the axis ends on a tick at or above the tallest bar
        int w = LEFT + PLOT_W + RIGHT;
        int hgt = TOP + PLOT_H + BOTTOM;
        double bw = (double) PLOT_W / bins;
        StringBuilder svg = new StringBuilder("<svg width=\"" + w + "\" height=\"" + hgt
                + "\" role=\"img\" aria-label=\"score histogram\" font-size=\"" + FONT + "\">");
        // count axis: gridlines and labels at each tick
        for (int c = 0; c <= top; c += step) {
            double y = TOP + PLOT_H - (double) c * PLOT_H / top;
            svg.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" y1=\"").append(fmt(y, 1)).append("\" x2=\"")
                    .append(LEFT + PLOT_W).append("\" y2=\"").append(fmt(y, 1)).append("\" stroke=\"#e3e6ea\"/>")
                    .append("<text class=\"y-tick\" x=\"").append(LEFT - 6).append("\" y=\"").append(fmt(y + 4, 1))
                    .append("\" text-anchor=\"end\">").append(c).append("</text>");
        }
        svg.append("<text x=\"12\" y=\"").append(TOP + PLOT_H / 2).append("\" transform=\"rotate(-90 12 ").append(TOP + PLOT_H / 2)
                .append(")\" text-anchor=\"middle\">images</text>");
        for (int b = 0; b < bins; b++) {
            bar(svg, "good", LEFT + b * bw, bw / 2, good[b], top);
            bar(svg, "defective", LEFT + b * bw + bw / 2, bw / 2, bad[b], top);
        }
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP + PLOT_H).append("\" x2=\"").append(LEFT + PLOT_W)
                .append("\" y2=\"").append(TOP + PLOT_H).append("\" stroke=\"#99a\"/>")
                .append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
                .append("\" y2=\"").append(TOP + PLOT_H).append("\" stroke=\"#99a\"/>");
        // the threshold: a dashed line through the plot, its label in the band above it, kept inside the picture
        double tx = LEFT + (thr - min) / (max - min == 0 ? 1 : max - min) * PLOT_W;
        String label = "threshold " + fmt(thr, 2);
        boolean right = tx > LEFT + PLOT_W / 2.0;
        svg.append("<line class=\"threshold\" x1=\"").append(fmt(tx, 1)).append("\" y1=\"").append(TOP - 6).append("\" x2=\"")
                .append(fmt(tx, 1)).append("\" y2=\"").append(TOP + PLOT_H).append("\" stroke=\"#111\" stroke-dasharray=\"5 3\"/>")
                .append("<text class=\"threshold-label\" x=\"").append(fmt(right ? tx - 4 : tx + 4, 1)).append("\" y=\"")
                .append(TOP - 10).append("\" text-anchor=\"").append(right ? "end" : "start").append("\">").append(label).append("</text>");
        // score axis: ends and the middle
        double[] ticks = {min, (min + max) / 2, max};
        String[] anchors = {"start", "middle", "end"};
        for (int k = 0; k < 3; k++) {
            double x = LEFT + (ticks[k] - min) / (max - min == 0 ? 1 : max - min) * PLOT_W;
            svg.append("<text class=\"x-tick\" x=\"").append(fmt(x, 1)).append("\" y=\"").append(TOP + PLOT_H + 16)
                    .append("\" text-anchor=\"").append(anchors[k]).append("\">").append(fmt(ticks[k], 1)).append("</text>");
        }
        int legendY = TOP + PLOT_H + 40;
        svg.append("<text x=\"").append(LEFT + PLOT_W / 2).append("\" y=\"").append(legendY).append("\" text-anchor=\"middle\">")
                .append("image score: ").append("<tspan fill=\"#2e8b57\">&#9632; good</tspan> ")
                .append("<tspan fill=\"#c0392b\">&#9632; defective</tspan></text></svg>");
        return svg.toString();
    }

    private static void bar(StringBuilder svg, String kind, double x, double w, int count, int top) {
        if (count == 0) {
            return;
        }
        double bh = (double) count * PLOT_H / top;
        svg.append("<rect class=\"bar ").append(kind).append("\" data-count=\"").append(count).append("\" x=\"").append(fmt(x, 1))
                .append("\" y=\"").append(fmt(TOP + PLOT_H - bh, 1)).append("\" width=\"").append(fmt(Math.max(1, w - 1), 1))
                .append("\" height=\"").append(fmt(bh, 1)).append("\" fill=\"").append(kind.equals("good") ? "#2e8b57" : "#c0392b")
                .append("\"/>");
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

    private static String datasetName(String dataset) {
        if (dataset == null) {
            return "";
        }
        Path p = Path.of(dataset).normalize();
        return p.getFileName() == null ? dataset : p.getFileName().toString();
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>");
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String pct(double v) {
        return fmt(100 * v, 1) + " %";
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }
}
