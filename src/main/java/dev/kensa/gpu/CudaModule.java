package dev.kensa.gpu;

import dev.kensa.KensaException;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

/**
 * A CUDA module (the kernels of one fatbin or PTX from {@code native/}) loaded through the driver API into a
 * {@link CudaSession}'s context, with its functions looked up once and launched with typed arguments. Owned by the
 * scorer that loaded it; {@link #close()} unloads it (the session itself belongs to the caller).
 */
public final class CudaModule implements AutoCloseable {
    /** Directory searched first for kernel images ({@code -Dkensa.gpu.kernel-dir=DIR}). */
    public static final String DIR_PROPERTY = "kensa.gpu.kernel-dir";
    /** Where {@code native/build.sh} writes the images, relative to the working directory. */
    public static final String BUILD_DIR = "native/build";
    /** Where the build copies them on the classpath. */
    public static final String RESOURCE_DIR = "/dev/kensa/gpu/";

    private final CudaSession cuda;
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private boolean loaded;

    /** @param image fatbin or PTX bytes ({@link #image}) */
    public CudaModule(CudaSession cuda, byte[] image) {
        this.cuda = cuda;
        cuda.makeCurrent();
        try (BytePointer p = new BytePointer(image.length + 1L)) {
            p.put(image).put(image.length, (byte) 0); // PTX is read as a C string
            CudaSession.check(cuModuleLoadData(module, p), "cuModuleLoadData");
        }
        loaded = true;
    }

    /** A kernel of this module by its extern "C" name. */
    public synchronized CUfunc_st function(String name) {
        CUfunc_st f = functions.get(name);
        if (f == null) {
            f = new CUfunc_st();
            CudaSession.check(cuModuleGetFunction(f, module, name), "cuModuleGetFunction " + name);
            functions.put(name, f);
        }
        return f;
    }

    /**
     * Launches {@code name} on the session's stream (asynchronously).
     *
     * @param args kernel parameters in order: {@link DevicePtr} (8-byte device address), Integer (int32) or Float
     */
    public void launch(String name, int[] grid, int block, int sharedBytes, Object... args) {
        CUfunc_st f = function(name);
        Pointer[] values = new Pointer[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a instanceof DevicePtr d) {
                    values[i] = new LongPointer(1).put(d.address());
                } else if (a instanceof Integer v) {
                    values[i] = new IntPointer(1).put(v);
                } else if (a instanceof Float v) {
                    values[i] = new FloatPointer(1).put(v);
                } else {
                    throw new IllegalArgumentException("kernel argument " + i + " of " + name + " is a " + a);
                }
            }
            cuda.makeCurrent();
            try (PointerPointer<Pointer> params = new PointerPointer<>(values)) {
                CudaSession.check(cuLaunchKernel(f, grid[0], grid[1], grid[2], block, 1, 1, sharedBytes, cuda.stream(),
                        params, (PointerPointer<?>) null), "cuLaunchKernel " + name);
            }
        } finally {
            for (Pointer p : values) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    /** A device address as a kernel argument (an int or a float is passed as itself). */
    public record DevicePtr(long address) {
    }

    public static DevicePtr ptr(long address) {
        return new DevicePtr(address);
    }

    /**
     * The bytes of a kernel image, e.g. "kensa_kernels.fatbin": the file named by {@code fileProperty} when set, else
     * the file in {@code -Dkensa.gpu.kernel-dir}, else {@code native/build/} under the working directory, else the
     * copy on the classpath that the build ships.
     */
    public static byte[] image(String fileName, String fileProperty) {
        try {
            String path = fileProperty == null ? null : System.getProperty(fileProperty);
            if (path != null && !path.isBlank()) {
                return Files.readAllBytes(Path.of(path));
            }
            String dir = System.getProperty(DIR_PROPERTY);
            if (dir != null && !dir.isBlank() && Files.isRegularFile(Path.of(dir, fileName))) {
                return Files.readAllBytes(Path.of(dir, fileName));
            }
            Path built = Path.of(BUILD_DIR, fileName);
            if (Files.isRegularFile(built)) {
                return Files.readAllBytes(built);
            }
            try (InputStream in = CudaModule.class.getResourceAsStream(RESOURCE_DIR + fileName)) {
                if (in == null) {
                    throw new KensaException("CUDA kernel image " + fileName + " not found: no -D" + DIR_PROPERTY
                            + "=DIR, no " + built + ", not on the classpath (build it with native/build.sh)");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new KensaException("CUDA kernel image " + fileName + " not readable: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (loaded) {
            cuda.makeCurrent();
            cuModuleUnload(module);
            loaded = false;
        }
    }
}
