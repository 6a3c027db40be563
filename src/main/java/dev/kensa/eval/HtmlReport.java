package dev.kensa.eval;

import dev.kensa.calibration.CalibrationView;
import dev.kensa.calibration.ScoreHistogram;
import dev.kensa.util.Templates;

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
 * The {@code kensa eval --html} report (../shared/DESIGN.md §9): one self-contained file (inline SVG and JPEGs, no external
 * resources) with, in order: the model, dataset and date; the figures; the inference time per stage; the image ROC
 * curve and the score histogram (counts on a y axis, the bundle's threshold marked above the bars); a table per
 * defect type (images, caught at the shipped threshold, mean score); and heatmaps of the cases an engineer looks at
 * first: missed defects, false rejects and the highest-scoring defects.
 *
 * <p>The page is the Qute template {@code templates/eval-report.html}, the histograms {@link ScoreHistogram}'s; this
 * class computes what they show. Written as well-formed XHTML-compatible HTML (quoted attributes, closed elements,
 * numeric entities), so tests and tools can parse it with an XML parser; every name and text from the dataset is
 * escaped by the template engine. The defect type of a test image is its folder under {@code test/} (MVTec layout),
 * or its parent folder.
 */
public final class HtmlReport {
    static final int GALLERY = 8;
    /** The ROC plot's side in pixels ({@code templates/eval-report.html} draws its frame). */
    static final int ROC_SIDE = 280;
    /** Bins of the image-score histogram. */
    static final int BINS = 24;
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
        double thr = r.threshold();
        List<Map<String, Object>> points = new ArrayList<>();
        for (EvalReport.OperatingPoint op : r.operatingPoints() == null ? List.<EvalReport.OperatingPoint>of() : r.operatingPoints()) {
            points.add(Templates.data("name", op.name(), "words", pointWords(op.name()), "threshold", fmt(op.threshold(), 4),
                    "tpr", pct(op.tpr()), "fpr", pct(op.fpr())));
        }
        List<Map<String, Object>> ng = new ArrayList<>();
        for (EvalReport.ScoredImage s : r.fpr0NgList() == null ? List.<EvalReport.ScoredImage>of() : r.fpr0NgList()) {
            Path p = Path.of(s.image());
            ng.add(Templates.data("image", s.image(), "name", typeOf(p) + "/" + p.getFileName(), "score", fmt(s.score(), 4)));
        }
        return Templates.render("eval-report.html", Templates.data(
                "dataset", r.dataset(), "datasetName", datasetName(r.dataset()),
                "modelId", header.modelId() == null ? "(not recorded)" : header.modelId(),
                "dateIso", header.date().toString(),
                "date", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC).format(header.date()),
                "imageAuroc", fmt(r.imageAuroc(), 4),
                "pixelAuroc", r.pixelAuroc() == null ? r.pixelMetricsNote() : fmt(r.pixelAuroc(), 4),
                "aupro", r.aupro() == null ? "unavailable" : fmt(r.aupro(), 4),
                "f1Max", fmt(r.f1Max(), 4),
                "threshold", fmt(thr, 4), "thresholdSource", r.thresholdSource(),
                "thresholdFpr", pct(r.thresholdFpr()), "thresholdTpr", pct(r.thresholdTpr()),
                "trainImages", String.valueOf(r.trainImages()), "testImages", String.valueOf(r.images()),
                "fieldOfView", r.fieldOfView(),
                "fitSeconds", fmt(r.fitSeconds(), 1), "calibrationSeconds", fmt(r.calibrationSeconds(), 1),
                "backend", r.backend(),
                "timings", timings(r.timingsMs()),
                "roc", roc(e), "histogram", Templates.markup(histogramSvg(e)),
                "calibration", e.calibration() == null ? null
                        : Templates.markup(CalibrationView.figure(e.calibration(), "calibration")),
                "typeThreshold", fmt(thr, 2), "types", byType(e),
                "points", points, "ngCount", String.valueOf(ng.size()), "ngWord", ng.size() == 1 ? "defect" : "defects",
                "ng", ng, "galleries", galleries(e)));
    }

    /** Per-stage means, total last. */
    private static List<Map<String, Object>> timings(Map<String, Double> ms) {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (ms != null) {
            for (Map.Entry<String, Double> t : ms.entrySet()) {
                rows.add(Templates.data("stage", t.getKey(), "total", t.getKey().equals("total"),
                        "ms", t.getValue() == null ? "" : fmt(t.getValue(), 1)));
            }
        }
        return rows;
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
    private static List<Map<String, Object>> byType(Evaluator.Evaluation e) {
        double thr = e.report().threshold();
        Map<String, List<Integer>> types = new TreeMap<>(Comparator.comparing((String t) -> !t.equals(GOOD)).thenComparing(t -> t));
        for (int i = 0; i < e.scores().length; i++) {
            String t = e.anomalous()[i] ? typeOf(e.images().get(i)) : GOOD;
            types.computeIfAbsent(t, k -> new ArrayList<>()).add(i);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> t : types.entrySet()) {
            List<Integer> idx = t.getValue();
            int above = 0;
            double sum = 0;
            for (int i : idx) {
                above += e.scores()[i] > thr ? 1 : 0;
                sum += e.scores()[i];
            }
            double mean = sum / idx.size();
            rows.add(Templates.data("type", t.getKey(), "good", t.getKey().equals(GOOD), "images", String.valueOf(idx.size()),
                    "caught", String.valueOf(above), "share", pct((double) above / idx.size()), "mean", fmt(mean, 2),
                    "relative", fmt(mean / thr, 2)));
        }
        return rows;
    }

    /** Missed defects, false rejects and the highest-scoring defects, each highest score first. */
    private static List<Map<String, Object>> galleries(Evaluator.Evaluation e) {
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
        return List.of(gallery(e, "missed", "Missed defects (score at or below the threshold)", missed),
                gallery(e, "false-rejects", "False rejects (good parts above the threshold)", falseRejects),
                gallery(e, "top-defects", "Highest-scoring defects", defects));
    }

    private static Map<String, Object> gallery(Evaluator.Evaluation e, String id, String title, List<Integer> which) {
        int shown = Math.min(GALLERY, which.size());
        double thr = e.report().threshold();
        List<Map<String, Object>> figures = new ArrayList<>();
        for (int i : which.subList(0, shown)) {
            Path p = e.images().get(i);
            boolean above = e.scores()[i] > thr;
            // the outcome, not the side of the threshold, picks the colour: a missed defect is a failure, never green
            String outcome = e.anomalous()[i] ? (above ? "caught" : "missed") : (above ? "false-reject" : "passed");
            figures.add(Templates.data("name", p.getParent().getFileName() + "/" + p.getFileName(),
                    "heatmap", e.heatmaps()[i] == null ? null : Base64.getEncoder().encodeToString(e.heatmaps()[i]),
                    "outcome", outcome, "normalized", fmt(e.scores()[i] / thr, 2), "score", fmt(e.scores()[i], 2)));
        }
        return Templates.data("id", id, "title", title, "figures", figures,
                "shown", which.isEmpty() ? "none" : shown < which.size() ? "top " + shown + " of " + which.size()
                        : which.size() == 1 ? "1" : "all " + which.size());
    }

    /** The ROC curve's points in the template's 280-pixel square, and its AUROC. */
    private static Map<String, Object> roc(Evaluator.Evaluation e) {
        Metrics.RocCurve roc = Metrics.roc(e.scores(), e.anomalous());
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < roc.fpr().length; i++) {
            pts.append(fmt(30 + roc.fpr()[i] * ROC_SIDE, 1)).append(',').append(fmt(10 + (1 - roc.tpr()[i]) * ROC_SIDE, 1)).append(' ');
        }
        return Templates.data("points", pts.toString().trim(), "auroc", fmt(e.report().imageAuroc(), 4));
    }

    /** Good and defective test images in 24 bins over their scores and the threshold. */
    private static String histogramSvg(Evaluator.Evaluation e) {
        double thr = e.report().threshold();
        double min = thr;
        double max = thr;
        for (double v : e.scores()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double[] edges = ScoreHistogram.evenEdges(BINS, min, max);
        int goods = 0;
        for (boolean a : e.anomalous()) {
            goods += a ? 0 : 1;
        }
        double[] good = new double[goods];
        double[] bad = new double[e.scores().length - goods];
        for (int i = 0, g = 0, b = 0; i < e.scores().length; i++) {
            if (e.anomalous()[i]) {
                bad[b++] = e.scores()[i];
            } else {
                good[g++] = e.scores()[i];
            }
        }
        ScoreHistogram h = new ScoreHistogram(edges, thr, List.of(
                new ScoreHistogram.Series("good", ScoreHistogram.count(edges, good), ScoreHistogram.GREEN, ScoreHistogram.GREEN),
                new ScoreHistogram.Series("defective", ScoreHistogram.count(edges, bad), ScoreHistogram.RED, ScoreHistogram.RED)));
        return h.svg(new ScoreHistogram.Labels("score histogram", "images", "image score:", "threshold " + fmt(thr, 2), 1), false);
    }

    private static String datasetName(String dataset) {
        if (dataset == null) {
            return "";
        }
        Path p = Path.of(dataset).normalize();
        return p.getFileName() == null ? dataset : p.getFileName().toString();
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String pct(double v) {
        return fmt(100 * v, 1) + " %";
    }
}
