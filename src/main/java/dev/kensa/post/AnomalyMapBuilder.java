package dev.kensa.post;

/**
 * Post-processing of a patch distance map (DESIGN.md §3-4): bilinear up to the crop size, Gaussian blur, score =
 * max. Thread-safe (no shared scratch).
 */
public final class AnomalyMapBuilder {
    private final int gridWidth;
    private final int gridHeight;
    private final int size;
    private final GaussianBlur blur;

    public AnomalyMapBuilder(int gridWidth, int gridHeight, int size, double sigma) {
        this.gridWidth = gridWidth;
        this.gridHeight = gridHeight;
        this.size = size;
        this.blur = new GaussianBlur(sigma);
    }

    /** @param distances patch distances, row-major grid, read from {@code offset} */
    public AnomalyMap build(float[] distances, int offset) {
        float[] grid = new float[gridWidth * gridHeight];
        System.arraycopy(distances, offset, grid, 0, grid.length);
        float[] up = Bilinear.resize(grid, gridWidth, gridHeight, size, size);
        float[] smooth = blur.apply(up, size, size);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : smooth) {
            max = Math.max(max, v);
        }
        return new AnomalyMap(smooth, size, size, max);
    }
}
