package dev.kensa.method;

/** The patch grid of a method's anomaly map: one distance per position, row-major. */
public record Grid(int height, int width) {
    public Grid {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("grid must be positive: " + height + "x" + width);
        }
    }

    public int positions() {
        return height * width;
    }

    @Override
    public String toString() {
        return height + "x" + width;
    }
}
