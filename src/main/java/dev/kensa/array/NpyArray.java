package dev.kensa.array;

import java.util.Arrays;

/**
 * An n-dimensional array as read from or written to a {@code .npy} file, always in row-major (C) order. Floats
 * are held as {@code float[]} (float32) or {@code double[]} (float64), integers of every width as {@code long[]}.
 * The accessors {@link #floats()}, {@link #doubles()}, {@link #longs()} and {@link #ints()} return the held array
 * itself when its type matches (no copy: a 125 MB array is not duplicated) and otherwise a converted copy; a
 * conversion that would change a value is refused with a one-line message naming the file and the element.
 */
public final class NpyArray {
    private final String source;
    private final NpyType type;
    private final int[] shape;
    private final boolean fortranOrder;
    private final Object data;

    NpyArray(String source, NpyType type, int[] shape, boolean fortranOrder, Object data) {
        this.source = source;
        this.type = type;
        this.shape = shape;
        this.fortranOrder = fortranOrder;
        this.data = data;
    }

    /** A float32 array over {@code data} (not copied), row-major. */
    public static NpyArray of(float[] data, int... shape) {
        return created(NpyType.FLOAT32, data.length, data, shape);
    }

    /** A float64 array over {@code data} (not copied), row-major. */
    public static NpyArray of(double[] data, int... shape) {
        return created(NpyType.FLOAT64, data.length, data, shape);
    }

    /** An int64 array over {@code data} (not copied), row-major. */
    public static NpyArray of(long[] data, int... shape) {
        return created(NpyType.INT64, data.length, data, shape);
    }

    private static NpyArray created(NpyType type, int length, Object data, int[] shape) {
        if (shape.length > Npy.MAX_RANK) {
            throw new IllegalArgumentException(shape.length + " dimensions, more than NumPy's " + Npy.MAX_RANK);
        }
        long count = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.min(count * d, Integer.MAX_VALUE + 1L); // saturate: more than any array holds
        }
        if (count != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + length + " elements");
        }
        return new NpyArray("array", type, shape.clone(), false, data);
    }

    /** The file the array was read from, as messages name it ("array" for one made in Java). */
    public String source() {
        return source;
    }

    /** The element type as read ({@link NpyType#INT32} for a '&lt;i4' file, even though held as long[]). */
    public NpyType type() {
        return type;
    }

    /** The type of the held array and of what {@link Npy#write} writes: FLOAT32, FLOAT64 or INT64. */
    public NpyType storageType() {
        return data instanceof float[] ? NpyType.FLOAT32 : data instanceof double[] ? NpyType.FLOAT64 : NpyType.INT64;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    /** Whether the file stored the data column-major; the data here are row-major either way. */
    public boolean fortranOrder() {
        return fortranOrder;
    }

    public int elementCount() {
        return data instanceof float[] f ? f.length : data instanceof double[] d ? d.length : ((long[]) data).length;
    }

    /** The shape as Python prints it: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
    public String shapeText() {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[i];
        }
        return Npy.shapeText(s);
    }

    /** The held array: float[], double[] or long[]. */
    Object data() {
        return data;
    }

    /** The element at {@code index} (one index per dimension, none for a 0-d array) as a double. */
    public double get(int... index) {
        int flat = flatIndex(index);
        if (data instanceof float[] f) {
            return f[flat];
        }
        if (data instanceof double[] d) {
            return d[flat];
        }
        return ((long[]) data)[flat];
    }

    /**
     * The values as float32: the held array for float32, else a copy. Refuses a float64 value beyond float32's
     * range and an integer float32 cannot hold exactly; float64 values are otherwise rounded to nearest.
     */
    public float[] floats() {
        if (data instanceof float[] f) {
            return f;
        }
        int n = elementCount();
        float[] out = new float[n];
        if (data instanceof double[] d) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) d[i];
                if (Float.isInfinite(out[i]) && !Double.isInfinite(d[i])) {
                    throw refused(i, d[i] + " is beyond float32's range");
                }
            }
        } else {
            long[] l = (long[]) data;
            for (int i = 0; i < n; i++) {
                out[i] = l[i];
                if ((long) out[i] != l[i] || l[i] == Long.MAX_VALUE) {
                    throw refused(i, l[i] + " has no exact float32 value");
                }
            }
        }
        return out;
    }

    /** The values as float64: the held array for float64, else an exact copy (refuses integers beyond 2^53). */
    public double[] doubles() {
        if (data instanceof double[] d) {
            return d;
        }
        int n = elementCount();
        double[] out = new double[n];
        if (data instanceof float[] f) {
            for (int i = 0; i < n; i++) {
                out[i] = f[i];
            }
        } else {
            long[] l = (long[]) data;
            for (int i = 0; i < n; i++) {
                out[i] = l[i];
                if ((long) out[i] != l[i] || l[i] == Long.MAX_VALUE) {
                    throw refused(i, l[i] + " has no exact float64 value");
                }
            }
        }
        return out;
    }

    /**
     * The values as int64: the held array for integer types; for float types a copy, refused unless every value
     * is a whole number (channel indices a notebook happened to save as floats).
     */
    public long[] longs() {
        if (data instanceof long[] l) {
            return l;
        }
        int n = elementCount();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            double v = data instanceof float[] f ? f[i] : ((double[]) data)[i];
            // 2^63 as a double rounds to Long.MAX_VALUE when cast, so the range check comes first
            if (!(v >= -0x1p63 && v < 0x1p63) || v != Math.rint(v)) {
                throw refused(i, v + " is not an integer");
            }
            out[i] = (long) v;
        }
        return out;
    }

    /** The values as int32 (e.g. channel indices); refused unless every value is a whole number in int range. */
    public int[] ints() {
        long[] l = longs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i]) {
                throw refused(i, l[i] + " is beyond int32's range");
            }
            out[i] = (int) l[i];
        }
        return out;
    }

    /** The flat (row-major) index of the first NaN or infinity, or -1 when every value is finite (always for integers). */
    public int firstNonFinite() {
        if (data instanceof float[] f) {
            for (int i = 0; i < f.length; i++) {
                if (!Float.isFinite(f[i])) {
                    return i;
                }
            }
        } else if (data instanceof double[] d) {
            for (int i = 0; i < d.length; i++) {
                if (!Double.isFinite(d[i])) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Refuses an array holding NaN or infinity, naming the first one's position, e.g. {@code NaN at [3, 17]}. */
    public NpyArray requireFinite() {
        int i = firstNonFinite();
        if (i >= 0) {
            double v = get(index(i));
            throw new ArrayException(source + ": " + (Double.isNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf") + " at "
                    + Arrays.toString(index(i)) + " of shape " + shapeText());
        }
        return this;
    }

    /** The per-dimension index of the row-major position {@code flat}. */
    public int[] index(int flat) {
        int[] idx = new int[shape.length];
        for (int k = shape.length - 1; k >= 0; k--) {
            idx[k] = flat % shape[k];
            flat /= shape[k];
        }
        return idx;
    }

    private int flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(index.length + " indices for shape " + shapeText());
        }
        int flat = 0;
        for (int k = 0; k < shape.length; k++) {
            if (index[k] < 0 || index[k] >= shape[k]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + shapeText());
            }
            flat = flat * shape[k] + index[k];
        }
        return flat;
    }

    private ArrayException refused(int flat, String why) {
        return new ArrayException(source + ": value at " + Arrays.toString(index(flat)) + " of " + type.numpyName()
                + " shape " + shapeText() + ": " + why);
    }

    @Override
    public String toString() {
        return "NpyArray[" + source + ", " + type.numpyName() + " " + shapeText() + (fortranOrder ? ", fortran order" : "") + "]";
    }
}
