package dev.kensa.image;

import dev.kensa.quality.ImageQuality;

/**
 * One image prepared for the backbone: the normalised CHW float planes of the centre crop, plus what is needed
 * to map the anomaly map back onto the original picture.
 *
 * @param chw            the array the [3][crop][crop] normalised planes (backbone channel order) were written to:
 *                       the image's own array, or a batch buffer shared with other images at their offsets
 * @param originalWidth  width of the decoded image in pixels
 * @param originalHeight height of the decoded image in pixels
 * @param thumbnail      the whole image, downscaled for heatmap overlays (BGR, interleaved), or null
 * @param quality        its image-quality statistics when they were asked for (the quality gates), else null
 */
public record ImageTensor(float[] chw, int originalWidth, int originalHeight, Thumbnail thumbnail, ImageQuality quality) {

    public ImageTensor(float[] chw, int originalWidth, int originalHeight, Thumbnail thumbnail) {
        this(chw, originalWidth, originalHeight, thumbnail, null);
    }

    /** A small BGR copy of the whole image: {@code bgr.length == width * height * 3}. */
    public record Thumbnail(byte[] bgr, int width, int height) {
    }
}
