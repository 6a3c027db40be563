package dev.kensa.post;

/**
 * Post-processing of a patch distance map (../shared/DESIGN.md §3-4): bilinear up to the crop size, Gaussian blur, score =
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
        this.scratch = ThreadLocal.withInitial(() -> new float[][]{
                new float[gridWidth * gridHeight], new float[size * size], new float[size * size], new float[size * size]});
    }

    /** Per-thread scratch, so steady-state inspection allocates only the map it returns. */
    private final ThreadLocal<float[][]> scratch;

    /** @param distances patch distances, row-major grid, read from {@code offset} */
    public AnomalyMap build(float[] distances, int offset) {
        float[][] s = scratch.get();
        float[] grid = s[0];
        System.arraycopy(distances, offset, grid, 0, grid.length);
        Bilinear.resize(grid, gridWidth, gridHeight, s[1], size, size);
        float[] smooth = new float[size * size];
        blur.apply(s[1], size, size, smooth, s[2], s[3]);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : smooth) {
            max = Math.max(max, v);
        }
        return new AnomalyMap(smooth, size, size, max);
    }
}
