package dev.kensa.gpu;

import dev.kensa.KensaException;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.LayerScorer;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

/**
 * GPU patch scorer: the fused gather + Mahalanobis kernel from {@code native/}, loaded at run time from its
 * fatbin/PTX through the driver API, one launch per batch. mu, W (float16 or float32, as the bundle stores it) and
 * the channel indices are uploaded once. Two entries:
 * <ul>
 * <li>{@link #scoreLayers} (the inspection route): the backbone's layer outputs already on the device (TensorRT),
 *     gathered by the kernel with the bundle's channel indices, so no embedding is ever materialised and only the
 *     [N][P] distances come back;</li>
 * <li>{@link #score} (the plain {@link dev.kensa.score.PatchScorer} seam, for embeddings gathered on the host):
 *     handed to the kernel as one "layer" of d channels on the patch grid with identity channel indices.</li>
 * </ul>
 * The launch follows {@link MahalanobisKernel}. Owns its module and device buffers.
 */
public final class CudaPatchScorer implements LayerScorer {
    private final CudaSession cuda;
    private final CUmod_st module = new CUmod_st();
    private final CUfunc_st function = new CUfunc_st();
    private final GaussianStats.Dtype dtype;
    private final int gridHeight;
    private final int gridWidth;
    private final int positions;
    private final int dims;
    private final int maxBatch;
    private long mean;
    private long factor;
    private long identityChannels;
    private long keptChannels;
    private long embeddings;
    private long distances;
    private FloatBuffer embeddingHost;
    private ByteBuffer distanceHost;
    private boolean moduleLoaded;

    /**
     * @param kept        the bundle's kept channel indices into the concatenated layers (for {@link #scoreLayers})
     * @param kernelImage fatbin or PTX ({@link #loadKernelImage()})
     */
    public CudaPatchScorer(GaussianStats stats, int[] kept, int maxBatch, byte[] kernelImage) {
        this.cuda = new CudaSession();
        this.dtype = stats.dtype();
        this.gridHeight = stats.gridHeight();
        this.gridWidth = stats.gridWidth();
        this.positions = stats.positions();
        this.dims = stats.dims();
        this.maxBatch = maxBatch;
        if (kept.length != dims) {
            cuda.close();
            throw new KensaException("bundle keeps " + kept.length + " channels but its statistics have d=" + dims);
        }
        try {
            cuda.makeCurrent();
            try (BytePointer image = new BytePointer(kernelImage.length + 1L)) {
                image.put(kernelImage).put(kernelImage.length, (byte) 0); // PTX is read as a C string
                CudaSession.check(cuModuleLoadData(module, image), "cuModuleLoadData");
            }
            moduleLoaded = true;
            CudaSession.check(cuModuleGetFunction(function, module, MahalanobisKernel.name(dtype)),
                    "cuModuleGetFunction " + MahalanobisKernel.name(dtype));
            mean = upload(DeviceBuffers.packMean(stats));
            factor = upload(dtype == GaussianStats.Dtype.FLOAT16 ? DeviceBuffers.packFactor16(stats) : DeviceBuffers.packFactor32(stats));
            int[] identity = new int[dims];
            for (int j = 0; j < dims; j++) {
                identity[j] = j;
            }
            identityChannels = upload(DeviceBuffers.packInts(identity));
            // ranges against the real layers are checked by the embedding gather at load; here: ascending, non-negative
            keptChannels = upload(DeviceBuffers.packInts(DeviceBuffers.channelIndex(kept, new int[]{Integer.MAX_VALUE})));
            distances = cuda.alloc(DeviceBuffers.distanceBytes(maxBatch, positions));
            cuda.synchronize();
            distanceHost = cuda.hostBuffer(DeviceBuffers.distanceBytes(maxBatch, positions));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private long upload(ByteBuffer host) {
        long device = cuda.alloc(host.capacity());
        try (Pointer p = new Pointer(host)) {
            cuda.upload(device, p, host.capacity());
        }
        cuda.synchronize(); // the host buffer may be collected once this returns
        return device;
    }

    /**
     * The kernel image: system property {@code kensa.gpu.kernel} (a file), else {@code native/build/} under the
     * working directory, else the resource next to the classes.
     */
    public static byte[] loadKernelImage() {
        String path = System.getProperty(MahalanobisKernel.PATH_PROPERTY);
        try {
            if (path != null && !path.isBlank()) {
                return Files.readAllBytes(Path.of(path));
            }
            Path built = Path.of(MahalanobisKernel.BUILD_FILE);
            if (Files.isRegularFile(built)) {
                return Files.readAllBytes(built);
            }
            try (InputStream in = CudaPatchScorer.class.getResourceAsStream(MahalanobisKernel.RESOURCE)) {
                if (in == null) {
                    throw new KensaException("CUDA kernel image not found: no -D" + MahalanobisKernel.PATH_PROPERTY
                            + "=FILE, no " + MahalanobisKernel.BUILD_FILE + ", no " + MahalanobisKernel.RESOURCE + " on the classpath");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new KensaException("CUDA kernel image not readable: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void score(float[] embeddingsIn, int batch, float[] distancesOut) {
        checkBatch(batch, distancesOut);
        if (embeddingsIn.length < batch * positions * dims) {
            throw new IllegalArgumentException("buffers too small for batch " + batch);
        }
        cuda.makeCurrent();
        if (embeddingHost == null) {
            // only this host-gather entry needs them (the fused route never does): 40 MB each at batch 32, d=100
            embeddings = cuda.alloc(DeviceBuffers.embeddingBytes(maxBatch, positions, dims));
            embeddingHost = cuda.hostBuffer(DeviceBuffers.embeddingBytes(maxBatch, positions, dims)).asFloatBuffer();
        }
        // [n][p][j] -> [n][j][p]: the kernel reads NCHW layers; the d embedding dims become the channels
        embeddingHost.clear();
        for (int n = 0; n < batch; n++) {
            int base = n * positions * dims;
            for (int j = 0; j < dims; j++) {
                for (int p = 0; p < positions; p++) {
                    embeddingHost.put(embeddingsIn[base + p * dims + j]);
                }
            }
        }
        try (Pointer host = new Pointer(embeddingHost)) {
            cuda.upload(embeddings, host, DeviceBuffers.embeddingBytes(batch, positions, dims));
        }
        long[] layers = {embeddings, 0, 0};
        int[][] shapes = {{dims, gridHeight, gridWidth}, {0, gridHeight, gridWidth}, {0, gridHeight, gridWidth}};
        launch(layers, shapes, identityChannels, batch);
        fetch(batch, distancesOut);
    }

    @Override
    public boolean accepts(DeviceFeatureMaps maps) {
        try {
            MahalanobisKernel.layerShapes(maps.layers(), gridHeight, gridWidth);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Fused route: gathers the bundle's channels from the three NCHW float32 layer outputs on the device (TensorRT's
     * output buffers, complete when {@link TensorRtBackbone#extractOnDevice} returned) and scores them, one launch.
     */
    @Override
    public synchronized void scoreLayers(DeviceFeatureMaps maps, float[] distancesOut) {
        int batch = maps.batch();
        checkBatch(batch, distancesOut);
        int[][] shapes = MahalanobisKernel.layerShapes(maps.layers(), gridHeight, gridWidth);
        long[] layers = new long[3];
        for (int i = 0; i < 3; i++) {
            layers[i] = maps.layers().get(i).address();
        }
        cuda.makeCurrent();
        launch(layers, shapes, keptChannels, batch);
        fetch(batch, distancesOut);
    }

    private void checkBatch(int batch, float[] distancesOut) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + maxBatch);
        }
        if (distancesOut.length < batch * positions) {
            throw new IllegalArgumentException("buffers too small for batch " + batch);
        }
    }

    private void fetch(int batch, float[] distancesOut) {
        try (Pointer host = new Pointer(distanceHost)) {
            cuda.download(host, distances, DeviceBuffers.distanceBytes(batch, positions));
        }
        cuda.synchronize();
        DeviceBuffers.unpackDistances(distanceHost, distancesOut, batch * positions);
    }

    private void launch(long[] layers, int[][] shapes, long channels, int batch) {
        int tile = MahalanobisKernel.tile(batch, dims);
        MahalanobisKernel.Param[] params = MahalanobisKernel.PARAMETERS;
        Pointer[] values = new Pointer[params.length];
        try {
            for (int i = 0; i < params.length; i++) {
                MahalanobisKernel.Param param = params[i];
                if (param.pointer) {
                    long address = switch (param) {
                        case LAYER1 -> layers[0];
                        case LAYER2 -> layers[1];
                        case LAYER3 -> layers[2];
                        case CHANNELS -> channels;
                        case MEAN -> mean;
                        case FACTOR -> factor;
                        case OUT -> distances;
                        default -> throw new IllegalStateException(param.name());
                    };
                    values[i] = new LongPointer(1).put(address);
                } else {
                    int value = switch (param) {
                        case C1 -> shapes[0][0];
                        case C2 -> shapes[1][0];
                        case C3 -> shapes[2][0];
                        case H1 -> shapes[0][1];
                        case W1 -> shapes[0][2];
                        case H2 -> shapes[1][1];
                        case W2 -> shapes[1][2];
                        case H3 -> shapes[2][1];
                        case W3 -> shapes[2][2];
                        case D -> dims;
                        case P -> positions;
                        case GRID_W -> gridWidth;
                        case N -> batch;
                        case N_TILE -> tile;
                        default -> throw new IllegalStateException(param.name());
                    };
                    values[i] = new IntPointer(1).put(value);
                }
            }
            int[] grid = MahalanobisKernel.grid(batch, positions, tile);
            try (PointerPointer<Pointer> args = new PointerPointer<>(values)) {
                CudaSession.check(cuLaunchKernel(function, grid[0], grid[1], grid[2], MahalanobisKernel.BLOCK_THREADS, 1, 1,
                        MahalanobisKernel.sharedBytes(dims, tile), cuda.stream(), args, (PointerPointer<?>) null),
                        "cuLaunchKernel " + MahalanobisKernel.name(dtype));
            }
        } finally {
            for (Pointer p : values) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    @Override
    public String describe() {
        return "cuda " + MahalanobisKernel.name(dtype) + " on " + GpuProbe.status().describe();
    }

    @Override
    public synchronized void close() {
        try {
            if (moduleLoaded) {
                cuda.makeCurrent();
                cuModuleUnload(module);
                moduleLoaded = false;
            }
        } finally {
            cuda.close();
        }
    }
}
