package dev.kensa.eval;

import dev.kensa.TestData;
import dev.kensa.fit.FitOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptance run: fit on all 209 full-resolution bottle images and evaluate on the 83 test images. Surefire
 * runs with -Xmx1g, so this also proves the fit's memory bound.
 */
class BottleEvalTest {

    @Test
    void bottleReachesPadimAccuracyWithinOneGigabyteOfHeap(@TempDir Path tmp) throws Exception {
        assertTrue(Runtime.getRuntime().maxMemory() <= 1100L * 1024 * 1024, "run with -Xmx1g to check the bound");
        FitOptions o = FitOptions.defaults(TestData.bottleTrain(), TestData.backbone(), tmp.resolve("bundle"));
        Evaluator.Evaluation e = Evaluator.evaluateFull(TestData.bottle(), o, false);
        EvalReport r = e.report();
        assertEquals(83, r.images());
        assertEquals(209, r.trainImages());
        assertTrue(r.imageAuroc() >= 0.99, "image AUROC " + r.imageAuroc());
        assertNotNull(r.pixelAuroc());
        assertTrue(r.pixelAuroc() >= 0.98, "pixel AUROC " + r.pixelAuroc());
        assertTrue(r.aupro() >= 0.90, "AUPRO " + r.aupro());
        assertTrue(r.f1Max() >= 0.97, "F1-max " + r.f1Max());
        assertEquals(0, r.errors());
        assertEquals(new dev.kensa.bundle.PipelineConfig.Image(256, 224), r.image(), "the figures say the field of view they are for");
        assertEquals("resize 256, centre crop 224: the middle 87.5 % of each side", r.fieldOfView());
        // the calibrated threshold (1 % out-of-fold FPR) is sensible on unseen parts
        assertTrue(r.thresholdFpr() <= 0.1, "test FPR " + r.thresholdFpr());
        assertTrue(r.thresholdTpr() >= 0.85, "test TPR " + r.thresholdTpr());

        // the HTML report: self-contained, with the figures, both charts and heatmaps of the misses
        Path html = tmp.resolve("report.html");
        HtmlReport.write(html, e);
        String page = java.nio.file.Files.readString(html);
        assertTrue(page.contains(String.format(java.util.Locale.ROOT, "%.4f", r.imageAuroc())), "AUROC in the report");
        assertTrue(page.contains("aria-label=\"ROC curve\"") && page.contains("aria-label=\"score histogram\""));
        int missed = (int) Math.round((1 - r.thresholdTpr()) * (r.images() - 20));
        String shown = missed == 0 ? "none" : missed == 1 ? "1" : missed <= 8 ? "all " + missed : "top 8 of " + missed;
        assertTrue(page.contains("Missed defects (score at or below the threshold) &#8212; " + shown), "missed count " + missed);
        assertTrue(page.contains("Highest-scoring defects &#8212; top 8 of 63"), "a gallery says how many of how many it shows");
        assertTrue(page.contains("<tr data-type=\"broken_small\"><td>broken_small</td><td class=\"num\">22</td>"), "per-type table");
        assertTrue(page.contains("data:image/jpeg;base64,"), "heatmaps inline");
        assertTrue(page.contains("<tr><th>field of view</th><td>resize 256, centre crop 224: the middle 87.5 % of each side</td>"), "field of view row");
        assertTrue(!page.contains("http://") && !page.contains("https://"), "no external resources");
    }
}
