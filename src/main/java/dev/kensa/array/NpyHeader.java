package dev.kensa.array;

import java.nio.ByteOrder;
import java.util.List;

/**
 * The header of a {@code .npy} file, validated in itself and against the file's size: reading it costs a few
 * hundred bytes, so shapes can be checked before a large array is loaded.
 *
 * @param file         the file as messages name it
 * @param majorVersion format version 1, 2 or 3 (minor version 0)
 * @param descr        the dtype as written, e.g. {@code "<f4"} or {@code "|u1"}
 * @param byteOrder    byte order of the data (little-endian for one-byte types)
 * @param fortranOrder whether the data are stored column-major; {@link Npy#read} returns them row-major anyway
 * @param shape        dimensions, empty for a 0-d array (a scalar)
 * @param dataOffset   where the data start: magic, version, header length and header
 */
public record NpyHeader(String file, int majorVersion, String descr, NpyType type, ByteOrder byteOrder,
                        boolean fortranOrder, List<Integer> shape, long dataOffset) {
    public NpyHeader {
        shape = List.copyOf(shape);
    }

    /** The number of elements: the product of the dimensions, 1 for a 0-d array. */
    public long elementCount() {
        long n = 1;
        for (int d : shape) {
            n *= d; // validated on read: the product fits a Java array
        }
        return n;
    }

    /** Bytes of data after the header. */
    public long dataBytes() {
        return elementCount() * type.itemSize();
    }

    /** The shape as Python prints it: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
    public String shapeText() {
        return Npy.shapeText(shape.stream().mapToLong(Integer::longValue).toArray());
    }
}
