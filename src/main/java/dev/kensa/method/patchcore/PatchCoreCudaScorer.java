package dev.kensa.method.patchcore;

import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;
import dev.kensa.embedding.LocalPatchFeatures;
import dev.kensa.gpu.CudaModule;
import dev.kensa.gpu.CudaSession;
import dev.kensa.gpu.GpuProbe;
import dev.kensa.method.MethodScorer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.kensa.gpu.CudaModule.ptr;

/**
 * PatchCore on the GPU ({@code native/patchcore_kernels.cu}, contract in {@link PatchCoreKernel}): the memory bank and
 * its row norms live on the device; per batch one launch builds the patch features from the layers (fused route:
 * TensorRT's outputs where they are), one finds every patch's nearest bank row, one recomputes those distances
 * exactly. Back to the host come the [N][P] distances and indices and, per image, the feature row of its worst patch,
 * which the image score's reweighting needs with the bank's host copy ({@link PatchCoreScoring}). Owns its CUDA
 * session, module and buffers.
 */
final class PatchCoreCudaScorer implements MethodScorer {
    private final PatchCoreModel model;
    private final LocalPatchFeatures hostFeatures;
    private final CudaSession cuda;
    private CudaModule module;
    private final int positions;
    private final int dims;
    private final int rows;
    private final int maxBatch;
    private long bank;
    private long norms;
    private long embedding;
    private long index;
    private long distance;
    private ByteBuffer indexHost;
    private ByteBuffer distanceHost;
    private ByteBuffer rowHost;
    private ByteBuffer embeddingHost;
    private float[] hostEmbedding;

    PatchCoreCudaScorer(PatchCoreModel model, int maxBatch, int threads) {
        this.model = model;
        this.hostFeatures = model.features();
        this.positions = model.grid().positions();
        this.dims = model.bank().dims();
        this.rows = model.bank().rows();
        this.maxBatch = maxBatch;
        this.cuda = new CudaSession();
        try {
            module = new CudaModule(cuda, CudaModule.image(PatchCoreKernel.IMAGE, null));
            module.function(PatchCoreKernel.EMBED);
            module.function(PatchCoreKernel.NN);
            module.function(PatchCoreKernel.EXACT);
            float[] values = model.bank().values();
            bank = upload(floats(values, values.length));
            float[] n = new float[rows];
            for (int m = 0; m < rows; m++) {
                double s = 0;
                for (int k = 0; k < dims; k++) {
                    float v = values[m * dims + k];
                    s += v * v;
                }
                n[m] = (float) s;
            }
            norms = upload(floats(n, rows));
            long queries = (long) maxBatch * positions;
            embedding = cuda.alloc(queries * dims * 4);
            index = cuda.alloc(queries * 4);
            distance = cuda.alloc(queries * 4);
            indexHost = cuda.hostBuffer(queries * 4);
            distanceHost = cuda.hostBuffer(queries * 4);
            rowHost = cuda.hostBuffer((long) maxBatch * dims * 4);
            cuda.synchronize();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static ByteBuffer floats(float[] values, int count) {
        ByteBuffer b = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values, 0, count);
        return b;
    }

    private long upload(ByteBuffer host) {
        long device = cuda.alloc(host.capacity());
        try (Pointer p = new Pointer(host)) {
            cuda.upload(device, p, host.capacity());
        }
        cuda.synchronize();
        return device;
    }

    @Override
    public String embeddingStage() {
        return "embedding";
    }

    @Override
    public String distanceStage() {
        return "nearest-neighbour";
    }

    /** Host route: the features are built on the host (layers copied back) and uploaded. */
    @Override
    public synchronized Times score(FeatureMaps maps, float[] distances, double[] imageScores) {
        int n = maps.batch();
        checkBatch(n);
        long t0 = System.nanoTime();
        int need = n * positions * dims;
        if (hostEmbedding == null || hostEmbedding.length < need) {
            hostEmbedding = new float[need];
        }
        hostFeatures.extract(maps, hostEmbedding);
        if (embeddingHost == null) {
            embeddingHost = cuda.hostBuffer((long) maxBatch * positions * dims * 4);
        }
        embeddingHost.clear();
        embeddingHost.asFloatBuffer().put(hostEmbedding, 0, need);
        cuda.makeCurrent();
        try (Pointer p = new Pointer(embeddingHost)) {
            cuda.upload(embedding, p, (long) need * 4);
        }
        long t1 = System.nanoTime();
        search(n, distances, imageScores);
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    @Override
    public boolean onDevice() {
        return true;
    }

    @Override
    public boolean accepts(DeviceFeatureMaps maps) {
        try {
            PatchCoreKernel.layerShapes(maps.layers(), model.grid().height(), model.grid().width(), dims);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Fused route: features built from the layers on the device, one launch per kernel. */
    @Override
    public synchronized Times scoreOnDevice(DeviceFeatureMaps maps, float[] distances, double[] imageScores) {
        int n = maps.batch();
        checkBatch(n);
        long t0 = System.nanoTime();
        int[][] s = PatchCoreKernel.layerShapes(maps.layers(), model.grid().height(), model.grid().width(), dims);
        long[] layers = new long[3];
        for (int i = 0; i < maps.layers().size(); i++) {
            layers[i] = maps.layers().get(i).address();
        }
        cuda.makeCurrent();
        module.launch(PatchCoreKernel.EMBED, PatchCoreKernel.embedGrid(n, positions, dims), PatchCoreKernel.BLOCK, 0,
                ptr(layers[0]), ptr(layers[1]), ptr(layers[2]), s[0][0], s[1][0], s[2][0], s[0][1], s[0][2], s[1][1], s[1][2],
                s[2][1], s[2][2], model.pool(), model.grid().height(), model.grid().width(), n, ptr(embedding));
        long t1 = System.nanoTime();
        search(n, distances, imageScores);
        return new Times((t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    /** Nearest rows and exact distances of the n images' features on the device, then the image scores. */
    private void search(int n, float[] distances, double[] imageScores) {
        int queries = n * positions;
        module.launch(PatchCoreKernel.NN, PatchCoreKernel.nnGrid(queries), PatchCoreKernel.BLOCK, 0,
                ptr(embedding), queries, ptr(bank), ptr(norms), rows, dims, ptr(index));
        module.launch(PatchCoreKernel.EXACT, PatchCoreKernel.exactGrid(queries), PatchCoreKernel.BLOCK, 0,
                ptr(embedding), queries, ptr(bank), dims, ptr(index), ptr(distance));
        try (Pointer d = new Pointer(distanceHost); Pointer i = new Pointer(indexHost)) {
            cuda.download(d, distance, (long) queries * 4);
            cuda.download(i, index, (long) queries * 4);
        }
        cuda.synchronize();
        distanceHost.clear();
        distanceHost.asFloatBuffer().get(distances, 0, queries);
        int[] nearest = new int[queries];
        indexHost.clear();
        indexHost.asIntBuffer().get(nearest, 0, queries);
        // the worst patch of each image: its feature row is all the reweighting needs from the device
        int[] worst = new int[n];
        for (int k = 0; k < n; k++) {
            int w = 0;
            for (int p = 1; p < positions; p++) {
                if (distances[k * positions + p] > distances[k * positions + w]) {
                    w = p;
                }
            }
            worst[k] = w;
            try (Pointer row = new Pointer(rowHost).position((long) k * dims * 4)) {
                cuda.download(row, embedding + ((long) (k * positions + w) * dims) * 4, (long) dims * 4);
            }
        }
        cuda.synchronize();
        float[] worstRows = new float[n * dims];
        rowHost.clear();
        rowHost.asFloatBuffer().get(worstRows, 0, n * dims);
        MemoryBank b = model.bank();
        for (int k = 0; k < n; k++) {
            // the image's "embedding" offset is chosen so that its worst patch lands on row k of worstRows
            imageScores[k] = PatchCoreScoring.imageScore(worstRows, (k - worst[k]) * dims, distances, nearest, k * positions,
                    positions, b.values(), b.rows(), b.dims(), model.neighbours(), 0, 0);
        }
    }

    private void checkBatch(int n) {
        if (n < 1 || n > maxBatch) {
            throw new IllegalArgumentException("batch " + n + " outside 1.." + maxBatch);
        }
    }

    @Override
    public String describe() {
        return "cuda " + PatchCoreKernel.NN + " over " + rows + " x " + dims + " on " + GpuProbe.status().describe();
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
