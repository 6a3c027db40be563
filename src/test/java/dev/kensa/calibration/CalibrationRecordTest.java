package dev.kensa.calibration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kensa.KensaException;
import dev.kensa.RealScores;
import dev.kensa.quality.ImageQuality;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationRecordTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The real bottle calibration: 109 held-out goods, 1 of them above the threshold. */
    static CalibrationRecord bottle(CalibrationRecord.Method method, Integer folds) {
        List<CalibrationRecord.Score> scores = new ArrayList<>();
        for (int i = 0; i < RealScores.BOTTLE_HELDOUT.length; i++) {
            scores.add(new CalibrationRecord.Score(RealScores.bottleHeldOutFile(i), RealScores.BOTTLE_HELDOUT[i]));
        }
        return CalibrationRecord.of(method, folds, 0.01, null, RealScores.BOTTLE_THRESHOLD, scores, quality());
    }

    static CalibrationRecord.Quality quality() {
        List<String> files = new ArrayList<>();
        List<ImageQuality> stats = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            files.add(String.format("%03d.png", i));
            stats.add(new ImageQuality(900, 900, 135 + i, 92 + 0.3 * i, 150 + 20 * i));
        }
        return CalibrationRecord.Quality.learn(files, stats);
    }

    @Test
    void writesAndReadsBackEveryValue(@TempDir Path dir) {
        CalibrationRecord r = bottle(CalibrationRecord.Method.KFOLD, 5);
        Path file = dir.resolve(CalibrationRecord.FILE);
        r.write(file);
        assertEquals(r, CalibrationRecord.read(file));
        assertEquals(1, r.falseRejects().k());
        assertEquals(109, r.falseRejects().n());
    }

    @Test
    void jsonFieldsAreTheContract() throws Exception {
        JsonNode j = JSON.readTree(bottle(CalibrationRecord.Method.KFOLD, 5).toJson());
        assertEquals("kensa-calibration/1", j.get("format").asText());
        assertEquals("kfold", j.get("method").asText());
        assertEquals(5, j.get("folds").asInt());
        assertEquals(0.01, j.get("fprTarget").asDouble());
        assertTrue(j.get("margin").isNull(), "every field is written, nulls included");
        assertEquals(18.9099, j.get("threshold").asDouble());
        JsonNode fr = j.get("falseRejects");
        assertEquals(List.of("k", "n", "confidence", "rate", "lower", "upper"), names(fr));
        assertEquals(0.05005682308481245, fr.get("upper").asDouble(), 1e-12); // scipy beta.ppf(0.975, 2, 108)
        assertEquals("100.png", j.get("scores").get(0).get("file").asText());
        assertEquals(8.1731, j.get("scores").get(0).get("score").asDouble());
        assertEquals(List.of("limits", "images"), names(j.get("quality")));
        assertEquals(List.of("source", "side", "brightness", "contrast", "focus", "width", "height", "aspect"),
                names(j.get("quality").get("limits")));
        assertEquals(List.of("file", "width", "height", "brightness", "contrast", "focus"),
                names(j.get("quality").get("images").get(0)));
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void theFalseRejectLine() {
        // 1 of 109: scipy beta.ppf(0.025, 1, 109) = 0.000232, beta.ppf(0.975, 2, 108) = 0.0501
        assertEquals("expected false-reject rate 0.92 % (95 % CI 0.023–5.01 %, 109 goods)",
                CalibrationView.falseRejectLine(bottle(CalibrationRecord.Method.HOLDOUT, null)));
        // no good above a max + 5 % threshold: scipy beta.ppf(0.975, 1, 109) = 0.0333
        CalibrationRecord none = withThreshold(bottle(CalibrationRecord.Method.LOO, null), 21.4233 * 1.05, 0.05);
        assertEquals("expected false-reject rate 0 % (95 % CI 0–3.33 %, 109 goods)", CalibrationView.falseRejectLine(none));
        assertEquals("calibration: 109 goods, leave-one-out scores; threshold 22.49 = largest good score + 5 %", CalibrationView.methodLine(none));
    }

    static CalibrationRecord withThreshold(CalibrationRecord r, double threshold, Double margin) {
        return CalibrationRecord.of(r.method(), r.folds(), margin == null ? r.fprTarget() : 0, margin, threshold, r.scores(), r.quality());
    }

    @Test
    void textHistogramSplitsTheGoodsAtTheThreshold() {
        CalibrationRecord r = bottle(CalibrationRecord.Method.KFOLD, 5);
        String text = CalibrationView.text(r);
        String[] lines = text.split("\n");
        assertEquals("calibration: 109 goods, k-fold out-of-fold scores (k=5); threshold 18.91 for a target false-reject rate of 1 %",
                lines[0]);
        assertEquals(CalibrationView.falseRejectLine(r), lines[lines.length - 1]);
        int below = 0, above = 0;
        boolean pastThreshold = false;
        for (int i = 2; i < lines.length - 1; i++) {
            if (lines[i].contains("threshold 18.91 (above: NG)")) {
                pastThreshold = true;
                continue;
            }
            int count = Integer.parseInt(lines[i].trim().split("\\s+")[3]);
            if (pastThreshold) {
                above += count;
            } else {
                below += count;
            }
        }
        assertTrue(pastThreshold, text);
        assertEquals(108, below, text);
        assertEquals(1, above, text);
    }

    @Test
    void svgHistogramHasACountAxisAndTheThreshold() throws Exception {
        CalibrationRecord r = bottle(CalibrationRecord.Method.KFOLD, 5);
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(CalibrationView.svg(r).getBytes(StandardCharsets.UTF_8)));
        NodeList rects = svg.getElementsByTagName("rect");
        int goods = 0, red = 0, redGoods = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            String title = e.getElementsByTagName("title").item(0).getTextContent();
            int count = Integer.parseInt(title.substring(title.lastIndexOf(' ') + 1));
            goods += count;
            if (e.getAttribute("fill").equals("#c0392b")) {
                red++;
                redGoods += count;
            }
        }
        assertEquals(109, goods);
        assertEquals(1, redGoods, "the goods above the threshold are the red bars");
        assertTrue(red >= 1);
        List<String> texts = new ArrayList<>();
        NodeList t = svg.getElementsByTagName("text");
        for (int i = 0; i < t.getLength(); i++) {
            texts.add(t.item(i).getTextContent());
        }
        assertTrue(texts.contains("threshold 18.91"), texts.toString());
        assertTrue(texts.contains("0") && texts.contains("goods"), "count axis: " + texts);
        String html = CalibrationView.html(r);
        assertTrue(html.startsWith("<figure class=\"calibration\"><svg") && html.contains(CalibrationView.falseRejectLine(r)), html);
    }

    @Test
    void inSampleScoresAreNoDriftReference() {
        assertNull(bottle(CalibrationRecord.Method.IN_SAMPLE, null).driftReference());
        assertEquals(109, bottle(CalibrationRecord.Method.HOLDOUT, null).driftReference().length);
    }

    @Test
    void badFilesAreRefusedWithOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        String where = dir.resolve("calibration.json").toString();
        assertEquals(where + ": scores[3].score is not a finite number",
                refusal(dir, j -> ((ObjectNode) j.get("scores").get(3)).put("score", "NaN")));
        assertTrue(refusal(dir, j -> ((ObjectNode) j.get("falseRejects")).put("k", -1))
                .startsWith(where + ": falseRejects: need 0 <= k <= n and n >= 1, got k=-1 n=109 at line "));
        assertEquals(where + ": falseRejects says 3 of 109 goods above the threshold, the scores give 1 of 109",
                refusal(dir, j -> ((ObjectNode) j.get("falseRejects")).put("k", 3)));
        assertTrue(refusal(dir, j -> ((ObjectNode) j).put("method", "bootstrap"))
                .startsWith(where + ": method: unknown calibration method 'bootstrap' (known: kfold, loo, holdout, dev, in-sample) at line "));
        assertEquals(where + ": folds given for method holdout",
                refusal(dir, j -> ((ObjectNode) j).put("method", "holdout")));
        assertEquals(where + ": kfold needs folds in 2..109, got 1",
                refusal(dir, j -> ((ObjectNode) j).put("folds", 1)));
        assertEquals(where + ": fprTarget must be in [0, 1), got 1.5",
                refusal(dir, j -> ((ObjectNode) j).put("fprTarget", 1.5)));
        assertEquals(where + ": threshold missing", refusal(dir, j -> ((ObjectNode) j).remove("threshold")));
        assertEquals(where + ": quality.images[1].focus is null",
                refusal(dir, j -> ((ObjectNode) j.get("quality").get("images").get(1)).putNull("focus")));
        assertEquals(where + ": quality.images[0] size 0x900 is not positive",
                refusal(dir, j -> ((ObjectNode) j.get("quality").get("images").get(0)).put("width", 0)));
        assertEquals(where + ": format is 'kensa-calibration/2', expected 'kensa-calibration/1'",
                refusal(dir, j -> ((ObjectNode) j).put("format", "kensa-calibration/2")));

        Path file = dir.resolve("calibration.json");
        byte[] good = bottle(CalibrationRecord.Method.KFOLD, 5).toJson();
        Files.write(file, java.util.Arrays.copyOf(good, good.length / 2));
        String truncated = assertThrows(KensaException.class, () -> CalibrationRecord.read(file)).getMessage();
        assertTrue(truncated.startsWith(where + ": not valid JSON (Unexpected end-of-input"), truncated);
        Files.writeString(file, "{\"format\": \"kensa-calibration/1\", \"threshold\": NaN}");
        String nan = assertThrows(KensaException.class, () -> CalibrationRecord.read(file)).getMessage();
        assertTrue(nan.startsWith(where + ": not valid JSON (Non-standard token 'NaN'"), nan);
        Files.delete(file);
        assertEquals(where + ": missing", assertThrows(KensaException.class, () -> CalibrationRecord.read(file)).getMessage());
        for (String m : List.of(truncated, nan)) {
            assertTrue(!m.contains("\n"), "one line: " + m);
        }
    }

    private static String refusal(Path dir, Consumer<JsonNode> damage) throws Exception {
        JsonNode j = JSON.readTree(bottle(CalibrationRecord.Method.KFOLD, 5).toJson());
        damage.accept(j);
        Path file = dir.resolve("calibration.json");
        Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(j));
        String m = assertThrows(KensaException.class, () -> CalibrationRecord.read(file)).getMessage();
        assertTrue(!m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void aRecordThatWouldNotReadBackIsNotWritten() {
        CalibrationRecord r = bottle(CalibrationRecord.Method.KFOLD, 5);
        List<CalibrationRecord.Score> bad = new ArrayList<>(r.scores());
        bad.set(0, new CalibrationRecord.Score("100.png", Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CalibrationRecord.of(r.method(), r.folds(), r.fprTarget(), null, r.threshold(), bad, r.quality()));
        assertEquals("scores[0].score is not a finite number", e.getMessage());
    }
}
