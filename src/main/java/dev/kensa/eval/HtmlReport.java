package dev.kensa.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The {@code kensa eval --html} report (DESIGN §9): one self-contained HTML file (inline SVG and JPEGs, no
 * external resources) with the figures, the image ROC curve, the score histograms of good and defective parts with
 * the bundle's threshold, and heatmaps of the cases an engineer looks at first: missed defects, false rejects and
 * the highest-scoring defects.
 */
public final class HtmlReport {
    private static final int GALLERY = 8;

    private HtmlReport() {
    }

    public static void write(Path file, Evaluator.Evaluation e) throws IOException {
        Files.writeString(file, render(e));
    }

    static String render(Evaluator.Evaluation e) {
        EvalReport r = e.report();
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html lang=en><head><meta charset=utf-8><title>Kensa eval: ").append(esc(r.dataset()))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1200px}"
                        + "h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}"
                        + "td,th{padding:4px 12px;border-bottom:1px solid #e3e6ea;text-align:left}"
                        + ".charts{display:flex;gap:32px;flex-wrap:wrap}.gallery{display:flex;flex-wrap:wrap;gap:12px}"
                        + "figure{margin:0;width:200px}figure img{width:200px;height:auto;border:1px solid #ccd}"
                        + "figcaption{font-size:12px;word-break:break-all}.ng{color:#b3261e}.ok{color:#1e7b34}"
                        + "</style></head><body>");
        h.append("<h1>Kensa evaluation: ").append(esc(r.dataset())).append("</h1>");
        h.append("<table>");
        row(h, "image AUROC", fmt(r.imageAuroc(), 4));
        row(h, "pixel AUROC", r.pixelAuroc() == null ? esc(r.pixelMetricsNote()) : fmt(r.pixelAuroc(), 4));
        row(h, "AUPRO (FPR &le; 0.3)", r.aupro() == null ? "unavailable" : fmt(r.aupro(), 4));
        row(h, "F1-max (image)", fmt(r.f1Max(), 4));
        row(h, "threshold", fmt(r.threshold(), 4) + " (" + esc(r.thresholdSource()) + ")");
        row(h, "at that threshold on test", "false rejects " + pct(r.thresholdFpr()) + ", defects caught " + pct(r.thresholdTpr()));
        row(h, "images", r.trainImages() + " train, " + r.images() + " test");
        row(h, "fit", fmt(r.fitSeconds(), 1) + " s + calibration " + fmt(r.calibrationSeconds(), 1) + " s");
        row(h, "inference ms/image", esc(r.timingsMs().toString()));
        row(h, "backend", esc(r.backend()));
        h.append("</table>");

        h.append("<div class=charts><div><h2>Image ROC</h2>").append(rocSvg(e)).append("</div>");
        h.append("<div><h2>Image scores</h2>").append(histogramSvg(e)).append("</div></div>");

        List<Integer> missed = new ArrayList<>();
        List<Integer> falseRejects = new ArrayList<>();
        List<Integer> defects = new ArrayList<>();
        for (int i = 0; i < e.scores().length; i++) {
            if (e.anomalous()[i]) {
                defects.add(i);
                if (e.scores()[i] <= r.threshold()) {
                    missed.add(i);
                }
            } else if (e.scores()[i] > r.threshold()) {
                falseRejects.add(i);
            }
        }
        Comparator<Integer> byScore = Comparator.comparingDouble(i -> -e.scores()[i]);
        defects.sort(byScore);
        missed.sort(byScore);
        falseRejects.sort(byScore);
        gallery(h, e, "Missed defects (score at or below the threshold)", missed);
        gallery(h, e, "False rejects (good parts above the threshold)", falseRejects);
        gallery(h, e, "Highest-scoring defects", defects);
        h.append("<p style='color:#667'>Heatmap colours are anchored to the threshold: blue is well below it, "
                + "green-yellow at it, red at 1.5x and above.</p></body></html>\n");
        return h.toString();
    }

    private static void gallery(StringBuilder h, Evaluator.Evaluation e, String title, List<Integer> which) {
        h.append("<h2>").append(esc(title)).append(" &mdash; ").append(which.size()).append("</h2>");
        if (which.isEmpty()) {
            h.append("<p>none</p>");
            return;
        }
        h.append("<div class=gallery>");
        for (int i : which.subList(0, Math.min(GALLERY, which.size()))) {
            Path p = e.images().get(i);
            String name = p.getParent().getFileName() + "/" + p.getFileName();
            double norm = e.scores()[i] / e.report().threshold();
            h.append("<figure>");
            if (e.heatmaps()[i] != null) {
                h.append("<img alt='heatmap of ").append(esc(name)).append("' src='data:image/jpeg;base64,")
                        .append(Base64.getEncoder().encodeToString(e.heatmaps()[i])).append("'>");
            }
            h.append("<figcaption>").append(esc(name)).append("<br><b class=").append(norm > 1 ? "ng" : "ok").append('>')
                    .append(fmt(norm, 2)).append("&times; threshold</b> (").append(fmt(e.scores()[i], 2)).append(")</figcaption></figure>");
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
        return "<svg width=" + (s + 40) + " height=" + (s + 40) + " role=img aria-label='ROC curve'>"
                + "<rect x=30 y=10 width=" + s + " height=" + s + " fill=none stroke='#99a'/>"
                + "<line x1=30 y1=" + (10 + s) + " x2=" + (30 + s) + " y2=10 stroke='#ccd' stroke-dasharray='4 4'/>"
                + "<polyline fill=none stroke='#1f5fbf' stroke-width=2 points='" + pts + "'/>"
                + "<text x=" + (30 + s / 2) + " y=" + (s + 34) + " text-anchor=middle font-size=12>false positive rate</text>"
                + "<text x=12 y=" + (10 + s / 2) + " font-size=12 transform='rotate(-90 12 " + (10 + s / 2) + ")' text-anchor=middle>true positive rate</text>"
                + "<text x=" + (30 + s - 6) + " y=" + (10 + s - 8) + " text-anchor=end font-size=13>AUROC "
                + fmt(e.report().imageAuroc(), 4) + "</text></svg>";
    }

    private static String histogramSvg(Evaluator.Evaluation e) {
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
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
        int top = 1;
        for (int b = 0; b < bins; b++) {
            top = Math.max(top, Math.max(good[b], bad[b]));
        }
        int w = 420, hgt = 240, bw = w / bins;
        StringBuilder svg = new StringBuilder("<svg width=" + (w + 20) + " height=" + (hgt + 50) + " role=img aria-label='score histogram'>");
        for (int b = 0; b < bins; b++) {
            int gh = good[b] * hgt / top;
            int dh = bad[b] * hgt / top;
            svg.append("<rect x=").append(10 + b * bw).append(" y=").append(10 + hgt - gh).append(" width=").append(bw / 2)
                    .append(" height=").append(gh).append(" fill='#2e8b57'/>");
            svg.append("<rect x=").append(10 + b * bw + bw / 2).append(" y=").append(10 + hgt - dh).append(" width=").append(bw / 2)
                    .append(" height=").append(dh).append(" fill='#c0392b'/>");
        }
        double tx = 10 + (thr - min) / (max - min == 0 ? 1 : max - min) * w;
        svg.append("<line x1=").append(fmt(tx, 1)).append(" y1=5 x2=").append(fmt(tx, 1)).append(" y2=").append(hgt + 12)
                .append(" stroke='#111' stroke-dasharray='5 3'/>")
                .append("<text x=").append(fmt(tx + 4, 1)).append(" y=16 font-size=12>threshold ").append(fmt(thr, 2)).append("</text>")
                .append("<text x=10 y=").append(hgt + 30).append(" font-size=12>").append(fmt(min, 1)).append("</text>")
                .append("<text x=").append(w + 10).append(" y=").append(hgt + 30).append(" font-size=12 text-anchor=end>").append(fmt(max, 1)).append("</text>")
                .append("<text x=").append(10 + w / 2).append(" y=").append(hgt + 46).append(" font-size=12 text-anchor=middle>")
                .append("image score (green: good, red: defective)</text></svg>");
        return svg.toString();
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
