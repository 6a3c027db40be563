package dev.kensa.verdict;

import dev.kensa.image.ImageGeometry;
import dev.kensa.post.AnomalyMap;
import dev.kensa.post.ConnectedComponents;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Defect regions: 8-connected components of the anomaly map above the pixel threshold (after an optional
 * morphological opening that removes specks), at least minArea map pixels, reported as boxes in the original image's
 * coordinates, largest score first.
 */
public final class RegionFinder {
    private final ImageGeometry geometry;
    private final double pixelThreshold;
    private final int minArea;
    private final int opening;

    /** @param opening radius of the morphological opening of the above-threshold mask (0 = none) */
    public RegionFinder(ImageGeometry geometry, double pixelThreshold, int minArea, int opening) {
        this.geometry = geometry;
        this.pixelThreshold = pixelThreshold;
        this.minArea = Math.max(1, minArea);
        this.opening = opening;
    }

    public List<InspectionResult.Region> find(AnomalyMap map, int originalWidth, int originalHeight) {
        int w = map.width();
        int h = map.height();
        float[] v = map.values();
        boolean[] mask = new boolean[w * h];
        boolean any = false;
        for (int i = 0; i < mask.length; i++) {
            if (v[i] > pixelThreshold) {
                mask[i] = true;
                any = true;
            }
        }
        if (any && opening > 0) {
            mask = dev.kensa.post.BinaryMorphology.open(mask, w, h, opening);
            any = false;
            for (boolean b : mask) {
                any |= b;
            }
        }
        if (!any) {
            return List.of();
        }
        int[] labels = ConnectedComponents.label(mask, w, h);
        List<ConnectedComponents.Component> components = ConnectedComponents.components(labels, w, h);
        double[] max = new double[components.size() + 1];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] > 0 && v[i] > max[labels[i]]) {
                max[labels[i]] = v[i];
            }
        }
        // one crop pixel covers (W/resize) x (H/resize) original pixels
        double pixelArea = (double) originalWidth / geometry.resize() * originalHeight / geometry.resize();
        List<InspectionResult.Region> regions = new ArrayList<>();
        for (ConnectedComponents.Component c : components) {
            if (c.area() < minArea) {
                continue;
            }
            int x0 = (int) Math.floor(geometry.toOriginalX(c.minX(), originalWidth));
            int y0 = (int) Math.floor(geometry.toOriginalY(c.minY(), originalHeight));
            int x1 = (int) Math.ceil(geometry.toOriginalX(c.maxX() + 1, originalWidth));
            int y1 = (int) Math.ceil(geometry.toOriginalY(c.maxY() + 1, originalHeight));
            regions.add(new InspectionResult.Region(x0, y0, Math.min(x1, originalWidth) - x0,
                    Math.min(y1, originalHeight) - y0, (int) Math.round(c.area() * pixelArea), max[c.label()]));
        }
        regions.sort(Comparator.comparingDouble(InspectionResult.Region::maxScore).reversed());
        return regions;
    }
}
