package dev.kensa.eval;

import dev.kensa.TestData;
import dev.kensa.bundle.BundleReader;
import dev.kensa.fit.FitOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The eval HTML report, parsed: a real evaluation of a small MVTec-layout set made of real bottle images, chosen so
 * every section has something to show: 11 defects (more than a gallery shows), a defect type "faint" made of
 * training images (scored at or below the threshold, so missed), and a defective part filed under good (a false
 * reject). The threshold is the largest training score (no calibration), which keeps the fit short.
 */
class HtmlReportTest {
    static final Instant WHEN = Instant.parse("2026-11-23T06:00:00Z");

    @TempDir
    static Path tmp;
    static Evaluator.Evaluation eval;
    static String modelId;
    static Document doc;
    static String html;
    static final XPath X = XPathFactory.newInstance().newXPath();

    static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
    }

    @BeforeAll
    static void evaluate() throws Exception {
        Path bottle = TestData.bottle();
        Path ds = tmp.resolve("mini");
        List<Path> train;
        try (var s = Files.list(TestData.bottleTrain())) {
            train = s.sorted().limit(10).toList();
        }
        for (Path p : train) {
            copy(p, ds.resolve("train/good").resolve(p.getFileName()));
        }
        for (int i = 0; i < 3; i++) {
            copy(bottle.resolve(String.format("test/good/%03d.png", i)), ds.resolve(String.format("test/good/%03d.png", i)));
        }
        copy(bottle.resolve("test/contamination/005.png"), ds.resolve("test/good/900.png")); // mislabelled: a false reject
        for (int i = 0; i < 5; i++) {
            copy(bottle.resolve(String.format("test/broken_large/%03d.png", i)), ds.resolve(String.format("test/broken_large/%03d.png", i)));
        }
        for (int i = 0; i < 4; i++) {
            copy(bottle.resolve(String.format("test/contamination/%03d.png", i)), ds.resolve(String.format("test/contamination/%03d.png", i)));
        }
        copy(train.get(1), ds.resolve("test/faint/000.png")); // seen in the fit: at or below the threshold
        copy(train.get(2), ds.resolve("test/faint/001.png"));

        Path bundle = tmp.resolve("bundle");
        eval = Evaluator.evaluateFull(ds, FitOptions.defaults(ds.resolve("train/good"), TestData.backbone(), bundle)
                .withCalibrate(false), false);
        modelId = BundleReader.readManifest(bundle).id();
        html = HtmlReport.render(eval, new HtmlReport.Header(modelId, WHEN));
        Files.writeString(tmp.resolve("report.html"), html);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    static String text(String xpath) throws Exception {
        return ((String) X.evaluate("normalize-space(" + xpath + ")", doc, XPathConstants.STRING));
    }

    static List<Element> all(String xpath) throws Exception {
        NodeList n = (NodeList) X.evaluate(xpath, doc, XPathConstants.NODESET);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < n.getLength(); i++) {
            out.add((Element) n.item(i));
        }
        return out;
    }

    static double num(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }

    @Test
    void headerNamesModelDatasetAndDate() throws Exception {
        assertEquals(modelId, text("//b[@id='model-id']"));
        assertEquals(eval.report().dataset(), text("//span[@id='dataset']"));
        assertEquals(WHEN.toString(), text("//time[@id='date']/@datetime"));
        assertEquals("2026-11-23 06:00 UTC", text("//time[@id='date']"));
        assertEquals("Kensa evaluation: mini", text("//h1"));
        assertFalse(html.contains("http://") || html.contains("https://"), "self-contained");
    }

    @Test
    void calibrationHistogramThresholdAndInterval() throws Exception {
        var c = eval.calibration();
        assertEquals(dev.kensa.calibration.CalibrationRecord.Method.IN_SAMPLE, c.method(), "withCalibrate(false)");
        assertEquals(dev.kensa.calibration.CalibrationView.falseRejectLine(c), text("//b[@id='false-reject-line']"));
        assertTrue(text("//b[@id='false-reject-line']").contains("(95 % CI 0–"), text("//b[@id='false-reject-line']"));
        String svg = "//figure[@id='calibration']/*[local-name()='svg']";
        int goods = 0;
        for (Element r : all(svg + "/*[local-name()='rect']")) {
            goods += Integer.parseInt(X.evaluate("substring-after(*[local-name()='title'], ': ')", r));
        }
        assertEquals(10, goods, "every calibration good in a bar");
        assertTrue(text(svg + "/*[local-name()='text'][starts-with(., 'threshold')]").startsWith("threshold "));
    }

    @Test
    void operatingPointsTableAndTheNgListAtFprZero() throws Exception {
        List<Element> rows = all("//table[@id='operating-points']/tbody/tr");
        List<String> names = rows.stream().map(r -> r.getAttribute("data-point")).toList();
        assertEquals(List.of("shipped", "fpr0", "fpr1", "fpr5"), names);
        for (int i = 0; i < rows.size(); i++) {
            var op = eval.report().operatingPoints().get(i);
            assertEquals(op.threshold(), Double.parseDouble(X.evaluate("normalize-space(td[2])", rows.get(i))), 1e-4);
            assertEquals(String.format(Locale.ROOT, "%.1f %%", 100 * op.tpr()), X.evaluate("normalize-space(td[3])", rows.get(i)));
        }
        List<Element> ng = all("//table[@id='fpr0-ng']/tbody/tr");
        assertEquals(eval.report().fpr0NgList().size(), ng.size());
        assertFalse(ng.isEmpty(), "the mislabelled contamination scores above the goods, the broken bottles above it");
        for (int i = 0; i < ng.size(); i++) {
            var s = eval.report().fpr0NgList().get(i);
            assertEquals(s.image(), ng.get(i).getElementsByTagName("td").item(0).getAttributes().getNamedItem("title").getNodeValue());
            assertEquals(s.score(), Double.parseDouble(X.evaluate("normalize-space(td[2])", ng.get(i))), 1e-4);
        }
    }

    @Test
    void timingsAreATableNotARawMap() throws Exception {
        List<Element> rows = all("//table[@id='timings']/tbody/tr");
        List<String> stages = new ArrayList<>();
        for (Element r : rows) {
            String stage = X.evaluate("normalize-space(td[1])", r);
            stages.add(stage);
            double shown = Double.parseDouble(X.evaluate("normalize-space(td[2])", r));
            assertEquals(eval.report().timingsMs().get(stage), shown, 0.05, stage);
        }
        assertEquals(List.of("decode", "backbone", "score", "post", "total"), stages);
        assertFalse(html.contains("{decode="), "no Java map in the page");
    }

    @Test
    void histogramHasACountAxisAndTheThresholdLabelAboveEveryBar() throws Exception {
        String svg = "//*[local-name()='svg'][@aria-label='score histogram']";
        List<Element> bars = all(svg + "/*[local-name()='rect'][contains(@class,'bar')]");
        int images = 0;
        int tallest = 0;
        double highestTop = Double.MAX_VALUE;
        for (Element b : bars) {
            int c = Integer.parseInt(b.getAttribute("data-count"));
            images += c;
            tallest = Math.max(tallest, c);
            highestTop = Math.min(highestTop, num(b, "y"));
        }
        assertEquals(eval.scores().length, images, "every test image in exactly one bar");

        List<Integer> ticks = new ArrayList<>();
        for (Element t : all(svg + "/*[local-name()='text'][@class='y-tick']")) {
            ticks.add(Integer.parseInt(t.getTextContent().trim()));
        }
        assertTrue(ticks.size() >= 2, "a count axis: " + ticks);
        assertEquals(0, ticks.get(0));
        assertTrue(ticks.get(ticks.size() - 1) >= tallest, "the axis reaches the tallest bar: " + ticks + " vs " + tallest);
        for (int i = 1; i < ticks.size(); i++) {
            assertTrue(ticks.get(i) > ticks.get(i - 1), "ascending: " + ticks);
        }

        Element label = all(svg + "/*[local-name()='text'][@class='threshold-label']").get(0);
        assertEquals(String.format(Locale.ROOT, "threshold %.2f", eval.report().threshold()), label.getTextContent().trim());
        // glyphs sit above the baseline: a baseline above every bar's top cannot be covered by a bar
        assertTrue(num(label, "y") < highestTop, "label baseline " + label.getAttribute("y") + " vs top bar " + highestTop);
        Element root = all(svg).get(0);
        double width = num(root, "width");
        double x = num(label, "x");
        double textWidth = label.getTextContent().length() * 7.5; // generous for a 12 px sans-serif
        if (label.getAttribute("text-anchor").equals("end")) {
            assertTrue(x - textWidth >= 0, "label inside the picture");
        } else {
            assertTrue(x + textWidth <= width, "label inside the picture: " + x + " + " + textWidth + " > " + width);
        }
    }

    @Test
    void perDefectTypeTableAgreesWithTheScores() throws Exception {
        double thr = eval.report().threshold();
        List<String> order = new ArrayList<>();
        for (Element row : all("//table[@id='by-type']/tbody/tr")) {
            String type = row.getAttribute("data-type");
            order.add(type);
            int n = 0;
            int above = 0;
            double sum = 0;
            for (int i = 0; i < eval.scores().length; i++) {
                Path p = eval.images().get(i);
                String t = eval.anomalous()[i] ? p.getParent().getFileName().toString() : "good";
                if (t.equals(type)) {
                    n++;
                    above += eval.scores()[i] > thr ? 1 : 0;
                    sum += eval.scores()[i];
                }
            }
            assertEquals(String.valueOf(n), X.evaluate("normalize-space(td[2])", row), type + " images");
            assertEquals(String.valueOf(above), X.evaluate("normalize-space(td[3])", row), type + " above the threshold");
            assertEquals(String.format(Locale.ROOT, "%.2f", sum / n), X.evaluate("normalize-space(td[5])", row), type + " mean");
        }
        assertEquals(List.of("good", "broken_large", "contamination", "faint"), order);
        assertEquals("4", text("//table[@id='by-type']/tbody/tr[@data-type='good']/td[2]"));
        assertEquals("0", text("//table[@id='by-type']/tbody/tr[@data-type='faint']/td[3]"), "training images are not caught");
    }

    @Test
    void galleriesSayHowManyTheyShowAndNeverPaintAMissAsGood() throws Exception {
        assertEquals("Highest-scoring defects \u2014 top 8 of 11", text("//h2[@id='h-top-defects']"));
        assertEquals(8, all("//div[@id='top-defects']/figure").size());

        List<Element> missed = all("//div[@id='missed']/figure/figcaption/b");
        assertTrue(missed.size() >= 1, "the faint type is missed");
        for (Element b : missed) {
            assertEquals("missed", b.getAttribute("class"), "a missed defect is not painted as a pass");
        }
        assertTrue(text("//h2[@id='h-missed']").endsWith("\u2014 " + (missed.size() == 1 ? "1" : "all " + missed.size())),
                text("//h2[@id='h-missed']"));

        List<Element> rejects = all("//div[@id='false-rejects']/figure/figcaption/b");
        assertTrue(rejects.stream().anyMatch(b -> b.getParentNode().getTextContent().startsWith("good/900.png")),
                "the defective part filed under good is a false reject");
        for (Element b : rejects) {
            assertEquals("false-reject", b.getAttribute("class"));
        }
        for (Element b : all("//div[@id='top-defects']/figure/figcaption/b")) {
            Node caption = b.getParentNode();
            assertTrue(b.getAttribute("class").equals("caught") || b.getAttribute("class").equals("missed"), caption.getTextContent());
        }
    }

    @Test
    void namesFromTheDatasetAndTheModelAreEscaped() throws Exception {
        // the same evaluation with its images filed under a defect type whose folder name is markup
        String hostile = "<b class='x'>scratch & \"dent\"<b>"; // a folder name: no slash
        List<Path> renamed = new ArrayList<>();
        for (Path p : eval.images()) {
            renamed.add(eval.anomalous()[renamed.size()] ? tmp.resolve("mini/test").resolve(hostile).resolve(p.getFileName()) : p);
        }
        Evaluator.Evaluation e = new Evaluator.Evaluation(eval.report(), renamed, eval.scores(), eval.anomalous(),
                eval.heatmaps(), eval.calibration());
        String id = "model <1> & 'two'";
        String page = HtmlReport.render(e, new HtmlReport.Header(id, WHEN));
        assertFalse(page.contains(hostile) || page.contains(id), "no name goes into the page unescaped");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(page.getBytes(StandardCharsets.UTF_8)));
        assertEquals(id, X.evaluate("//b[@id='model-id']", d));
        assertEquals(List.of("good", hostile), List.of(X.evaluate("//table[@id='by-type']/tbody/tr[1]/@data-type", d),
                X.evaluate("//table[@id='by-type']/tbody/tr[2]/@data-type", d)), "attribute values read back as the names");
        assertEquals(hostile, X.evaluate("//table[@id='by-type']/tbody/tr[2]/td[1]", d));
        String alt = X.evaluate("//div[@id='top-defects']/figure[1]/img/@alt", d);
        assertEquals("heatmap of " + hostile + "/", alt.substring(0, alt.lastIndexOf('/') + 1));
    }
}
