package dev.kensa.array;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * NumPy {@code .npy} files (format 1.0, 2.0 and 3.0, as {@code numpy.save} writes them): the arrays a model
 * fitted in Python hands to Kensa and that Kensa hands back.
 * <p>
 * Reading checks everything before it allocates: the magic, the version, the header (a strict parser, no
 * evaluation), the dtype, the shape against the size of a Java array and the data length against the file size,
 * so a truncated file or a header claiming 10^12 elements is a one-line {@link ArrayException} naming the file.
 * Data are read in bulk through a direct buffer; Fortran-order data are placed in row-major (C) order as they are
 * read, without a second copy.
 * <p>
 * Writing produces what {@code numpy.save} produces for the same array: version 1.0 (2.0 only for a header over
 * 64 KiB), a little-endian float32, float64 or int64 array in C order, the header padded with spaces to a multiple
 * of 64 bytes.
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy 2's NPY_MAXDIMS: NumPy refuses to load more dimensions. */
    static final int MAX_RANK = 64;
    /**
     * Headers Kensa reads are at most a few hundred bytes; version 2.0 and 3.0 allow 4 GiB, NumPy itself refuses
     * more than 10000 characters unless told otherwise. Anything over 1 MiB is not read into memory.
     */
    static final long MAX_HEADER_BYTES = 1L << 20;
    /** Version 1.0 stores the header length in 16 bits. */
    static final int MAX_V1_HEADER = 0xFFFF;
    static final int ALIGN = 64;
    /** NumPy pads the growth axis of the header to this many digits, so that an appended array can rewrite it. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Java arrays hold at most about Integer.MAX_VALUE - 8 elements. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int CHUNK_BYTES = 1 << 20;

    private Npy() {
    }

    /** Reads and validates the header of {@code file} only (against the file's size too). */
    public static NpyHeader readHeader(Path file) {
        String label = file.toString();
        try (FileChannel ch = open(file, label)) {
            return header(ch, label);
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads {@code file}: floats as float32/float64, integers (int8, uint8, int32, int64) as int64, always in C order. */
    public static NpyArray read(Path file) {
        String label = file.toString();
        try (FileChannel ch = open(file, label)) {
            NpyHeader h = header(ch, label);
            ch.position(h.dataOffset());
            return new NpyArray(label, h.type(), toInts(h.shape()), h.fortranOrder(), data(ch, h));
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** One leading-axis slice of an array, e.g. the d x d covariance of one position of a [P, d, d] array. */
    @FunctionalInterface
    public interface SliceConsumer {
        /**
         * @param index  the slice's index along the first axis
         * @param values its elements in C order as float64 (exact for every type Kensa reads but int64 beyond 2^53);
         *               the array is reused for the next slice
         */
        void accept(int index, double[] values);
    }

    /**
     * Reads {@code file} one leading-axis slice at a time, so a large array (a float64 covariance of 3136 positions
     * of 100 x 100 is 250 MB) is never held whole: C-order data are streamed from the file. Fortran-order data, whose
     * slices are scattered over the whole file, are read whole first and then handed out slice by slice.
     *
     * @return the header the slices were read with (checked against the file's size like {@link #read})
     */
    public static NpyHeader forEachSlice(Path file, SliceConsumer consumer) {
        String label = file.toString();
        NpyHeader h;
        try (FileChannel ch = open(file, label)) {
            h = header(ch, label);
            if (h.shape().isEmpty()) {
                throw new ArrayException(label + ": a 0-d array has no slices");
            }
            int[] shape = toInts(h.shape());
            int slices = shape[0];
            int per = slices == 0 ? 0 : (int) (h.elementCount() / slices);
            double[] slice = new double[per];
            if (!h.fortranOrder() || shape.length == 1) {
                ch.position(h.dataOffset());
                int item = h.type().itemSize();
                ByteBuffer chunk = ByteBuffer.allocateDirect(Math.max(item, Math.min(CHUNK_BYTES, per * item)))
                        .order(h.byteOrder());
                int chunkElements = chunk.capacity() / item;
                for (int s = 0; s < slices; s++) {
                    for (int done = 0; done < per; ) {
                        int k = Math.min(chunkElements, per - done);
                        chunk.clear().limit(k * item);
                        readFully(ch, chunk, label);
                        chunk.flip();
                        convert(h.type(), chunk, slice, done, k);
                        done += k;
                    }
                    consumer.accept(s, slice);
                }
                return h;
            }
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot read (" + e.getMessage() + ")", e);
        }
        NpyArray whole = read(file);
        int per = whole.dim(0) == 0 ? 0 : whole.elementCount() / whole.dim(0);
        double[] slice = new double[per];
        Object data = whole.data();
        for (int s = 0; s < whole.dim(0); s++) {
            int from = s * per;
            for (int i = 0; i < per; i++) {
                slice[i] = data instanceof float[] f ? f[from + i] : data instanceof double[] d ? d[from + i]
                        : ((long[]) data)[from + i];
            }
            consumer.accept(s, slice);
        }
        return h;
    }

    /** Decodes {@code k} elements of {@code type} from {@code chunk} into {@code dst[offset..]} as float64. */
    private static void convert(NpyType type, ByteBuffer chunk, double[] dst, int offset, int k) {
        switch (type) {
            case FLOAT32 -> {
                FloatBuffer fb = chunk.asFloatBuffer();
                for (int i = 0; i < k; i++) {
                    dst[offset + i] = fb.get(i);
                }
            }
            case FLOAT64 -> chunk.asDoubleBuffer().get(dst, offset, k);
            case INT64 -> {
                LongBuffer lb = chunk.asLongBuffer();
                for (int i = 0; i < k; i++) {
                    dst[offset + i] = lb.get(i);
                }
            }
            case INT32 -> {
                IntBuffer ib = chunk.asIntBuffer();
                for (int i = 0; i < k; i++) {
                    dst[offset + i] = ib.get(i);
                }
            }
            case INT8 -> {
                for (int i = 0; i < k; i++) {
                    dst[offset + i] = chunk.get(i);
                }
            }
            case UINT8 -> {
                for (int i = 0; i < k; i++) {
                    dst[offset + i] = chunk.get(i) & 0xFF;
                }
            }
        }
    }

    /**
     * Writes {@code array} to {@code file}, replacing it: '&lt;f4' for float data, '&lt;f8' for double data,
     * '&lt;i8' for integer data (whatever integer type it was read as), C order.
     */
    public static void write(Path file, NpyArray array) {
        String label = file.toString();
        ByteBuffer header = ByteBuffer.wrap(headerBytes(headerText(array)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, header);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            Object data = array.data();
            int n = array.elementCount();
            int item = array.storageType().itemSize();
            int per = CHUNK_BYTES / item;
            for (int done = 0; done < n; done += per) {
                int k = Math.min(per, n - done);
                chunk.clear();
                if (data instanceof float[] f) {
                    chunk.asFloatBuffer().put(f, done, k);
                } else if (data instanceof double[] d) {
                    chunk.asDoubleBuffer().put(d, done, k);
                } else {
                    chunk.asLongBuffer().put((long[]) data, done, k);
                }
                chunk.limit(k * item);
                writeFully(ch, chunk);
            }
        } catch (IOException e) {
            throw new ArrayException(label + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** The header dict exactly as NumPy writes it: sorted keys, repr() values, trailing comma and growth padding. */
    static String headerText(NpyArray array) {
        return headerText(array.storageType(), array.shape());
    }

    /** The header dict of a little-endian C-order array of {@code type} and {@code shape}, as NumPy writes it. */
    static String headerText(NpyType type, int[] shape) {
        StringBuilder b = new StringBuilder("{'descr': '<").append(type.code())
                .append("', 'fortran_order': False, 'shape': ").append(shapeText(toLongs(shape))).append(", }");
        if (shape.length > 0) {
            b.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length()));
        }
        return b.toString();
    }

    /**
     * Magic, version, length and the header padded with spaces and a newline so the data start at a multiple of
     * 64 bytes; version 1.0 unless the header needs 2.0's 32-bit length (NumPy's rule). Headers are ASCII, so
     * 3.0 (UTF-8) is never needed.
     */
    static byte[] headerBytes(String dict) {
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int major = 1;
        int prefix = MAGIC.length + 2 + 2;
        int total = align(prefix + text.length + 1);
        if (total - prefix > MAX_V1_HEADER) {
            major = 2;
            prefix = MAGIC.length + 2 + 4;
            total = align(prefix + text.length + 1);
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (total - prefix));
        } else {
            b.putInt(total - prefix);
        }
        b.put(text);
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    private static int align(int n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static FileChannel open(Path file, String label) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ArrayException(label + ": missing", e);
        }
    }

    private static NpyHeader header(FileChannel ch, String label) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(0);
        readFully(ch, pre, label);
        pre.flip();
        byte[] start = new byte[pre.remaining()];
        pre.get(start);
        if (!startsWith(start, MAGIC)) {
            throw new ArrayException(label + ": not a NumPy .npy file (" + sniff(start, size) + ")");
        }
        if (size < 10) {
            throw new ArrayException(label + ": truncated: " + size + " bytes, shorter than the .npy prefix");
        }
        int major = start[6] & 0xFF;
        int minor = start[7] & 0xFF;
        if (major < 1 || major > 3 || minor != 0) {
            throw new ArrayException(label + ": .npy format version " + major + "." + minor
                    + " is not supported (1.0, 2.0 and 3.0 are)");
        }
        int prefix = major == 1 ? 10 : 12;
        if (size < prefix) {
            throw new ArrayException(label + ": truncated: " + size + " bytes, shorter than the .npy " + major
                    + ".0 prefix");
        }
        ByteBuffer lengths = ByteBuffer.wrap(start, 8, prefix - 8).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lengths.getShort() & 0xFFFF : lengths.getInt() & 0xFFFFFFFFL;
        if (headerLength > MAX_HEADER_BYTES) {
            throw new ArrayException(label + ": header of " + headerLength + " bytes, more than the "
                    + MAX_HEADER_BYTES + " this reader accepts (corrupt, or not a plain numeric array)");
        }
        if (prefix + headerLength > size) {
            throw new ArrayException(label + ": truncated: header of " + headerLength + " bytes, the file holds "
                    + (size - prefix) + " after the prefix");
        }
        ByteBuffer raw = ByteBuffer.allocate((int) headerLength);
        ch.position(prefix);
        readFully(ch, raw, label);
        raw.flip();
        String text;
        try {
            // 1.0 and 2.0 headers are latin-1, 3.0 headers UTF-8 (NumPy's rule)
            text = (major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(raw).toString();
        } catch (CharacterCodingException e) {
            throw new ArrayException(label + ": corrupt header: not valid UTF-8 (format 3.0)", e);
        }
        NpyHeaderDict.Parsed dict;
        try {
            dict = NpyHeaderDict.parse(text);
        } catch (NpyHeaderDict.Problem e) {
            throw new ArrayException(label + ": " + e.getMessage());
        }
        Dtype dtype = dtype(dict.descr(), label);
        long[] shape = dict.shape();
        if (shape.length > MAX_RANK) {
            throw new ArrayException(label + ": " + shape.length + " dimensions, more than NumPy's " + MAX_RANK);
        }
        String shapeText = shapeText(shape);
        long count = 1;
        for (long d : shape) {
            if (d == 0) {
                count = 0; // (0, 3) holds nothing, whatever the other dimensions say
                break;
            }
        }
        for (int i = 0; i < shape.length && count != 0; i++) {
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException e) {
                throw new ArrayException(label + ": shape " + shapeText + " overflows (more than 2^63 elements)");
            }
        }
        long dataOffset = prefix + headerLength;
        long available = size - dataOffset;
        String what = "shape " + shapeText + " " + dtype.type.numpyName();
        long needed;
        try {
            needed = Math.multiplyExact(count, (long) dtype.type.itemSize());
        } catch (ArithmeticException e) {
            throw new ArrayException(label + ": shape " + shapeText + " overflows (more than 2^63 bytes of data)");
        }
        if (needed > available) {
            throw new ArrayException(label + ": truncated: " + what + " needs " + needed
                    + " bytes of data, the file holds " + available);
        }
        if (needed < available) {
            throw new ArrayException(label + ": " + (available - needed) + " bytes after the data of " + what
                    + " (several arrays in one file, or a wrong header?)");
        }
        if (count > MAX_ELEMENTS) {
            throw new ArrayException(label + ": shape " + shapeText + " holds " + count
                    + " elements, more than a Java array holds (" + MAX_ELEMENTS + ")");
        }
        for (long d : shape) {
            if (d > MAX_ELEMENTS) {
                throw new ArrayException(label + ": shape " + shapeText + " has a dimension over " + MAX_ELEMENTS);
            }
        }
        List<Integer> dims = new ArrayList<>(shape.length);
        for (long d : shape) {
            dims.add((int) d);
        }
        return new NpyHeader(label, major, dict.descr(), dtype.type, dtype.order, dict.fortranOrder(), dims, dataOffset);
    }

    private record Dtype(NpyType type, ByteOrder order) {
    }

    private static Dtype dtype(String descr, String label) {
        String what = label + ": dtype '" + descr + "'";
        if (descr.length() < 2) {
            throw new ArrayException(what + " is not a NumPy dtype");
        }
        char order = descr.charAt(0);
        String code = descr.substring(1);
        if (code.startsWith("O")) {
            throw new ArrayException(what + " holds pickled Python objects, which Kensa never loads; save a numeric array");
        }
        NpyType type = NpyType.ofCode(code);
        if (type == null || "<>|".indexOf(order) < 0) {
            throw new ArrayException(what + " is not supported (float32, float64, int8, uint8, int32, int64 are, "
                    + "little- or big-endian)");
        }
        if (order == '|' && type.itemSize() > 1) {
            throw new ArrayException(what + " has no byte order ('<' or '>' expected)");
        }
        return new Dtype(type, order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    /** What a file that is not a .npy looks like, for the refusal. */
    private static String sniff(byte[] start, long size) {
        if (size < MAGIC.length) {
            return size + " bytes, too short for the magic";
        }
        if (start[0] == 'P' && start[1] == 'K') {
            return "it is a zip, perhaps an .npz archive: save each array with numpy.save";
        }
        if ((start[0] & 0xFF) == 0x80 && start[1] >= 2 && start[1] <= 5) {
            return "it is a Python pickle, which Kensa never loads";
        }
        StringBuilder b = new StringBuilder("starts with");
        for (int i = 0; i < Math.min(start.length, MAGIC.length); i++) {
            b.append(String.format(" %02x", start[i] & 0xFF));
        }
        return b.append(", expected 93 4e 55 4d 50 59 = \\x93NUMPY").toString();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads the data after the header into float[], double[] or long[], in C order. */
    private static Object data(FileChannel ch, NpyHeader h) throws IOException {
        int n = (int) h.elementCount();
        NpyType type = h.type();
        Object dst = allocate(type, n, h);
        if (n == 0) {
            return dst;
        }
        int[] shape = toInts(h.shape());
        FortranWalk walk = h.fortranOrder() && shape.length > 1 ? new FortranWalk(shape) : null;
        int item = type.itemSize();
        ByteBuffer chunk = ByteBuffer.allocateDirect(Math.min(CHUNK_BYTES, n * item)).order(h.byteOrder());
        int per = chunk.capacity() / item;
        for (int done = 0; done < n; ) {
            int k = Math.min(per, n - done);
            chunk.clear().limit(k * item);
            readFully(ch, chunk, h.file());
            chunk.flip();
            switch (type) {
                case FLOAT32 -> {
                    float[] f = (float[]) dst;
                    FloatBuffer fb = chunk.asFloatBuffer();
                    if (walk == null) {
                        fb.get(f, done, k);
                    } else {
                        for (int i = 0; i < k; i++) {
                            f[walk.next()] = fb.get(i);
                        }
                    }
                }
                case FLOAT64 -> {
                    double[] d = (double[]) dst;
                    DoubleBuffer db = chunk.asDoubleBuffer();
                    if (walk == null) {
                        db.get(d, done, k);
                    } else {
                        for (int i = 0; i < k; i++) {
                            d[walk.next()] = db.get(i);
                        }
                    }
                }
                case INT64 -> {
                    long[] l = (long[]) dst;
                    LongBuffer lb = chunk.asLongBuffer();
                    if (walk == null) {
                        lb.get(l, done, k);
                    } else {
                        for (int i = 0; i < k; i++) {
                            l[walk.next()] = lb.get(i);
                        }
                    }
                }
                case INT32 -> {
                    long[] l = (long[]) dst;
                    IntBuffer ib = chunk.asIntBuffer();
                    for (int i = 0; i < k; i++) {
                        l[walk == null ? done + i : walk.next()] = ib.get(i);
                    }
                }
                case INT8, UINT8 -> {
                    long[] l = (long[]) dst;
                    boolean unsigned = type == NpyType.UINT8;
                    for (int i = 0; i < k; i++) {
                        byte v = chunk.get(i);
                        l[walk == null ? done + i : walk.next()] = unsigned ? v & 0xFF : v;
                    }
                }
            }
            done += k;
        }
        return dst;
    }

    /** A heap too small for the array is a one-line refusal, not an OutOfMemoryError further up. */
    private static Object allocate(NpyType type, int n, NpyHeader h) {
        try {
            return switch (type) {
                case FLOAT32 -> new float[n];
                case FLOAT64 -> new double[n];
                default -> new long[n];
            };
        } catch (OutOfMemoryError e) {
            int bytes = type == NpyType.FLOAT32 ? 4 : 8;
            throw new ArrayException(h.file() + ": shape " + h.shapeText() + " needs " + ((long) n * bytes >> 20)
                    + " MiB of Java heap, more than is free (raise -Xmx)");
        }
    }

    /**
     * Walks the elements of a column-major (Fortran) array in storage order and yields each one's row-major
     * (C) position: the first index runs fastest.
     */
    static final class FortranWalk {
        private final int[] shape;
        private final int[] strides; // C-order strides
        private final int[] index;
        private int position;

        FortranWalk(int[] shape) {
            this.shape = shape;
            this.strides = new int[shape.length];
            this.index = new int[shape.length];
            int s = 1;
            for (int k = shape.length - 1; k >= 0; k--) {
                strides[k] = s;
                s *= shape[k];
            }
        }

        int next() {
            int current = position;
            for (int k = 0; k < shape.length; k++) {
                position += strides[k];
                if (++index[k] < shape[k] || k == shape.length - 1) {
                    break;
                }
                position -= shape[k] * strides[k];
                index[k] = 0;
            }
            return current;
        }
    }

    /** A shape as Python prints a tuple: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
    static String shapeText(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static long[] toLongs(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }

    private static int[] toInts(List<Integer> shape) {
        return shape.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, String label) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                // the size was checked against the header: the file shrank while being read
                throw new ArrayException(label + ": truncated while reading");
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
