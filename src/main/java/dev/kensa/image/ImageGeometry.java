package dev.kensa.image;

/**
 * Where the backbone's input crop lies in the original image: the image is resized (anisotropically) to
 * resize x resize and the centre crop x crop is taken, so crop pixel (x, y) covers original pixel
 * ((x + offset) * W / resize, (y + offset) * H / resize).
 */
public record ImageGeometry(int resize, int crop) {
    public ImageGeometry {
        if (resize <= 0 || crop <= 0 || crop > resize) {
            throw new IllegalArgumentException("need 0 < crop <= resize, got resize=" + resize + " crop=" + crop);
        }
    }

    /** Offset of the centre crop inside the resized square, as torchvision CenterCrop computes it. */
    public int cropOffset() {
        return (int) Math.round((resize - crop) / 2.0);
    }

    /** Original-image x of the left edge of crop column x (x may be fractional or crop for the right edge). */
    public double toOriginalX(double cropX, int originalWidth) {
        return (cropX + cropOffset()) * originalWidth / resize;
    }

    public double toOriginalY(double cropY, int originalHeight) {
        return (cropY + cropOffset()) * originalHeight / resize;
    }
}
