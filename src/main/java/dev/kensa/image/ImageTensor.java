package dev.kensa.image;

/**
 * One image prepared for the backbone: the normalised CHW float planes of the centre crop, plus what is needed
 * to map the anomaly map back onto the original picture.
 *
 * @param chw            [3][crop][crop] normalised planes in the backbone's channel order
 * @param originalWidth  width of the decoded image in pixels
 * @param originalHeight height of the decoded image in pixels
 * @param thumbnail      the whole image, downscaled for heatmap overlays (BGR, interleaved), or null
 */
public record ImageTensor(float[] chw, int originalWidth, int originalHeight, Thumbnail thumbnail) {

    /** A small BGR copy of the whole image: {@code bgr.length == width * height * 3}. */
    public record Thumbnail(byte[] bgr, int width, int height) {
    }
}
