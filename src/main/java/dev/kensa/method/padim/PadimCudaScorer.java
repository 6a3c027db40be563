package dev.kensa.method.padim;

import dev.kensa.KensaException;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.EmbeddingExtractor;
import dev.kensa.gpu.CudaModule;
import dev.kensa.gpu.CudaSession;
import dev.kensa.gpu.DeviceBuffers;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.method.MethodScorer;
import dev.kensa.score.GaussianStats;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

import static dev.kensa.gpu.CudaModule.ptr;

/**
 * PaDiM on the GPU: the fused gather + Mahalanobis kernel from {@code native/kensa_kernels.cu}, loaded at run time
 * through the driver API, one launch per batch. mu, W (float16 or float32, as the bundle stores it) and the channel
 * indices are uploaded once. Two entries:
 * <ul>
 * <li>{@link #scoreOnDevice} (the fused route): the backbone's layer outputs already on the device (TensorRT),
 *     gathered by the kernel with the bundle's channel indices, so no embedding is ever materialised and only the
 *     [N][P] distances come back;</li>
 * <li>{@link #score} (layers on the host): the embedding is gathered in Java and handed to the kernel as one
 *     "layer" of d channels on the patch grid with identity channel indices.</li>
 * </ul>
 * The launch follows {@link MahalanobisKernel}. Owns its CUDA session, module and device buffers.
 */
public final class PadimCudaScorer implements MethodScorer {
    private final CudaSession cuda;
    private CudaModule module;
    private final EmbeddingExtractor gather;
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
    private float[] hostEmbedding;
    private FloatBuffer embeddingHost;
    private ByteBuffer distanceHost;

    /**
     * @param kept        the bundle's kept channel indices into the concatenated layers
     * @param kernelImage fatbin or PTX ({@link CudaModule#image})
     */
    public PadimCudaScorer(GaussianStats stats, int[] kept, int maxBatch, byte[] kernelImage) {
        this.dtype = stats.dtype();
        this.gridHeight = stats.gridHeight();
        this.gridWidth = stats.gridWidth();
        this.positions = stats.positions();
        this.dims = stats.dims();
        this.maxBatch = maxBatch;
        if (kept.length != dims) {
            throw new KensaException("bundle keeps " + kept.length + " channels but its statistics have d=" + dims);
        }
        this.gather = new EmbeddingExtractor(kept);
        this.cuda = new CudaSession();
        try {
            module = new CudaModule(cuda, kernelImage);
            module.function(MahalanobisKernel.name(dtype));
            mean = upload(DeviceBuffers.packMean(stats));
            factor = upload(dtype == GaussianStats.Dtype.FLOAT16 ? DeviceBuffers.packFactor16(stats) : DeviceBuffers.packFactor32(stats));
            int[] identity = new int[dims];
            for (int j = 0; j < dims; j++) {
                identity[j] = j;
            }
            identityChannels = upload(DeviceBuffers.packInts(identity));
            // ranges against the real layers are checked at load (PadimModel.checkLayers); here: ascending, non-negative
            keptChannels = upload(DeviceBuffers.packInts(DeviceBuffers.channelIndex(kept, new int[]{Integer.MAX_VALUE})));
            distances = cuda.alloc(DeviceBuffers.distanceBytes(maxBatch, positions));
            cuda.synchronize();
            distanceHost = cuda.hostBuffer(DeviceBuffers.distanceBytes(maxBatch, positions));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The kernel image: {@code -Dkensa.gpu.kernel=FILE}, else as {@link CudaModule#image} finds it. */
    public static byte[] loadKernelImage() {
        return CudaModule.image(MahalanobisKernel.IMAGE, MahalanobisKernel.PATH_PROPERTY);
    }

    private long upload(ByteBuffer host) {
        long device = cuda.alloc(host.capacity());
        try (Pointer p = new Pointer(host)) {
            cuda.upload(device, p, host.capacity());
        }
        cuda.synchronize(); // the host buffer may be collected once this returns
        return device;
    }

    @Override
    public String embeddingStage() {
        return "gather";
    }

    @Override
    public String distanceStage() {
        return "mahalanobis";
    }

    @Override
    public synchronized Times score(FeatureMaps maps, float[] distancesOut, double[] imageScores) {
        int batch = maps.batch();
        checkBatch(batch, distancesOut);
        long t0 = System.nanoTime();
        int need = batch * positions * dims;
        if (hostEmbedding == null || hostEmbedding.length < need) {
            hostEmbedding = new float[need];
        }
        gather.extract(maps, hostEmbedding);
        long t1 = System.nanoTime();
        scoreEmbeddings(hostEmbedding, batch, distancesOut);
        Arrays.fill(imageScores, 0, batch, Double.NaN);
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    /** Scores a host embedding [batch][P][d] (the kernel sees it as one layer of d channels on the grid). */
    public synchronized void scoreEmbeddings(float[] embeddingsIn, int batch, float[] distancesOut) {
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
    public boolean onDevice() {
        return true;
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
     * Fused route: gathers the bundle's channels from the NCHW float32 layer outputs on the device (TensorRT's output
     * buffers, complete when the backbone's extractOnDevice returned) and scores them, one launch.
     */
    @Override
    public synchronized Times scoreOnDevice(DeviceFeatureMaps maps, float[] distancesOut, double[] imageScores) {
        int batch = maps.batch();
        checkBatch(batch, distancesOut);
        long t0 = System.nanoTime();
        int[][] shapes = MahalanobisKernel.layerShapes(maps.layers(), gridHeight, gridWidth);
        long[] layers = new long[3];
        for (int i = 0; i < maps.layers().size(); i++) {
            layers[i] = maps.layers().get(i).address();
        }
        cuda.makeCurrent();
        launch(layers, shapes, keptChannels, batch);
        fetch(batch, distancesOut);
        Arrays.fill(imageScores, 0, batch, Double.NaN);
        return new Times(0, (System.nanoTime() - t0) / 1e6);
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
        Object[] args = new Object[MahalanobisKernel.PARAMETERS.length];
        for (MahalanobisKernel.Param param : MahalanobisKernel.PARAMETERS) {
            args[param.ordinal()] = switch (param) {
                case LAYER1 -> ptr(layers[0]);
                case LAYER2 -> ptr(layers[1]);
                case LAYER3 -> ptr(layers[2]);
                case CHANNELS -> ptr(channels);
                case MEAN -> ptr(mean);
                case FACTOR -> ptr(factor);
                case OUT -> ptr(distances);
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
            };
        }
        module.launch(MahalanobisKernel.name(dtype), MahalanobisKernel.grid(batch, positions, tile),
                MahalanobisKernel.BLOCK_THREADS, MahalanobisKernel.sharedBytes(dims, tile), args);
    }

    @Override
    public String describe() {
        return "cuda " + MahalanobisKernel.name(dtype) + " on " + GpuProbe.status().describe();
    }

    @Override
    public synchronized void close() {
        try {
            if (module != null) {
                module.close();
                module = null;
            }
        } finally {
            cuda.close();
        }
    }
}
