package dev.kensa.pipeline;

import dev.kensa.image.ImageTensor;
import dev.kensa.post.AnomalyMap;
import dev.kensa.quality.QualityGate;
import dev.kensa.verdict.InspectionResult;

/**
 * One inspected image: the published result, plus the anomaly map and thumbnail for heatmaps and evaluation
 * (both null when the result is an ERROR; the map is null too for an image-level method, which has none).
 *
 * @param index          position in the input list
 * @param qualityFailure the image-quality check the image failed (an ERROR result saying so), else null
 */
public record Inspection(int index, InspectionResult result, AnomalyMap map, ImageTensor.Thumbnail thumbnail,
                         int originalWidth, int originalHeight, QualityGate.Check qualityFailure) {

    public Inspection(int index, InspectionResult result, AnomalyMap map, ImageTensor.Thumbnail thumbnail,
                      int originalWidth, int originalHeight) {
        this(index, result, map, thumbnail, originalWidth, originalHeight, null);
    }

    /** Whether the image was scored (its verdict is OK or NG, not ERROR). */
    public boolean scored() {
        return result != null && result.verdict() != dev.kensa.verdict.Verdict.ERROR;
    }
}
