package dev.kensa.post;

/**
 * The smoothed pixel anomaly map of one image on the backbone's crop (crop x crop), and its image score.
 *
 * @param values row-major width x height distances after upsampling and blur
 * @param score  the image score: max of the map
 */
public record AnomalyMap(float[] values, int width, int height, float score) {
}
