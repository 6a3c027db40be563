package dev.kensa.array;

/**
 * The element types Kensa reads from and writes to {@code .npy} files: the floating-point statistics of a model
 * and the integer channel indices. The byte order is a property of a file, not of the type ({@link NpyHeader}).
 */
public enum NpyType {
    INT8("i1", 1, false),
    UINT8("u1", 1, false),
    INT32("i4", 4, false),
    INT64("i8", 8, false),
    FLOAT32("f4", 4, true),
    FLOAT64("f8", 8, true);

    private final String code;
    private final int itemSize;
    private final boolean floating;

    NpyType(String code, int itemSize, boolean floating) {
        this.code = code;
        this.itemSize = itemSize;
        this.floating = floating;
    }

    /** NumPy's type code without the byte order, e.g. {@code "f4"}. */
    public String code() {
        return code;
    }

    /** Bytes per element. */
    public int itemSize() {
        return itemSize;
    }

    public boolean isFloating() {
        return floating;
    }

    /** The NumPy dtype name, e.g. {@code float32}, as messages and Python code spell it. */
    public String numpyName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type for a code such as {@code "f4"}, or null when Kensa does not read it. */
    static NpyType ofCode(String code) {
        for (NpyType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }
}
