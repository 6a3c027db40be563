package dev.kensa.gpu;

import dev.kensa.KensaException;
import dev.kensa.backbone.DeviceBackbone;
import dev.kensa.backbone.DeviceFeatureMaps;
import dev.kensa.backbone.FeatureMaps;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * GPU backbone on TensorRT: an engine built from the bundle's ONNX (FP16 where the GPU has fast half maths, or
 * FP32), with one optimisation profile for batch 1..maxBatch, cached under {@code kensa.cache-dir} by
 * {@link EngineCacheKey} so a box builds once per model/GPU/TensorRT. Inference: input copied to device, enqueueV3
 * on this backbone's stream into device buffers. {@link #extractOnDevice} leaves the layers there for the fused CUDA
 * scorer (the inspection route); {@link #extract} also copies them back into reused direct buffers for the host
 * embedding gather (fit, calibration, and the warm-up check of the channel indices).
 * Owns its TensorRT objects and CUDA session; one batch at a time.
 */
public final class TensorRtBackbone implements DeviceBackbone {
    private static final Logger LOG = Logger.getLogger(TensorRtBackbone.class);
    /** Builder workspace; ResNet-18 tactics fit well inside it. */
    private static final long WORKSPACE_BYTES = 1L << 30;

    private final CudaSession cuda;
    /**
     * One logger for the process, never collected: TensorRT keeps the first logger it is given as its global one
     * (later ones only get a warning), and the TensorRT objects that hold it are never deleted (see the constructor),
     * so a per-backbone logger freed by the GC would leave TensorRT calling into freed memory.
     */
    private final Logger4Trt logger = Logger4Trt.INSTANCE;
    private final IRuntime runtime;
    private final ICudaEngine engine;
    private final IExecutionContext context;
    private final String inputName;
    private final List<String> outputs;
    private final int inputSize;
    private final int maxBatch;
    private final Precision precision;
    private final GpuStatus gpu;
    private final long inputDevice;
    private final long[] outputDevice;
    private final int[][] outputShape; // {C, H, W} of each output, read from the engine once
    private final FloatBuffer inputHost;
    private final java.util.Map<Integer, FeatureMaps> maps = new java.util.HashMap<>();
    private final java.util.Map<Integer, DeviceFeatureMaps> deviceMaps = new java.util.HashMap<>();
    private final String engineSource;
    /** Device memory TensorRT works in, owned by {@link #cuda}. */
    private final long activationBytes;

    /**
     * @param onnx           the bundle's backbone
     * @param backboneSha256 its sha256 (from the manifest), part of the cache key
     * @param outputs        output names, in embedding order
     * @param inputSize      input side (the bundle's crop)
     */
    public TensorRtBackbone(Path onnx, String backboneSha256, List<String> outputs, int inputSize, int maxBatch,
                            Precision precision, EngineCache cache) {
        this.gpu = GpuProbe.status();
        if (!gpu.available()) {
            throw new KensaException("TensorRT backbone not available: " + gpu.reason());
        }
        this.outputs = List.copyOf(outputs);
        this.inputSize = inputSize;
        this.maxBatch = maxBatch;
        this.precision = precision;
        this.cuda = new CudaSession();
        IRuntime rt = null;
        ICudaEngine eng = null;
        try {
            EngineCacheKey key = new EngineCacheKey(backboneSha256, gpu.tensorRtVersion(), gpu.name(), gpu.computeCapability(),
                    precision, maxBatch, inputSize, inputSize);
            long t0 = System.nanoTime();
            EngineCache.Result plan = cache.loadOrBuild(key, () -> build(onnx));
            if (plan.built()) {
                LOG.infof("TensorRT engine built in %.1f s (%s, batch 1..%d, %s): %s", (System.nanoTime() - t0) / 1e9,
                        precision, maxBatch, gpu.name(), plan.reason());
            } else {
                LOG.infof("TensorRT engine taken from the cache %s", cache.fileFor(key).getFileName());
            }
            this.engineSource = plan.built() ? "built" : "cached";
            rt = nvinfer.createInferRuntime(logger);
            try (BytePointer bytes = new BytePointer(plan.plan())) {
                eng = rt.deserializeCudaEngine(bytes, plan.plan().length);
            }
            if (eng == null || eng.isNull()) {
                throw new KensaException("TensorRT could not deserialize the engine: " + logger.lastError());
            }
            this.runtime = rt;
            this.engine = eng;
            // The activation memory (the bulk of an engine's device memory, and growing with the batch) comes from
            // this backbone's CUDA session, so close() frees it: JavaCPP's close() on TensorRT objects is a no-op
            // (no deallocator on objects TensorRT creates, javacpp-presets#1699, and TensorRT 10 has no destroy()).
            IExecutionContext ctx = eng.createExecutionContext(nvinfer.ExecutionContextAllocationStrategy.kUSER_MANAGED);
            if (ctx == null || ctx.isNull()) {
                throw new KensaException("TensorRT could not create an execution context: " + logger.lastError());
            }
            long scratch = eng.getDeviceMemorySizeV2();
            ctx.setDeviceMemoryV2(CudaSession.devicePointer(cuda.alloc(scratch)), scratch);
            this.context = ctx;
            this.activationBytes = scratch;
            this.inputName = findInput(eng);
            this.inputDevice = cuda.alloc(DeviceBuffers.inputBytes(maxBatch, inputSize));
            this.inputHost = cuda.hostBuffer(DeviceBuffers.inputBytes(maxBatch, inputSize)).asFloatBuffer();
            this.outputDevice = new long[outputs.size()];
            this.outputShape = new int[outputs.size()][];
            for (int i = 0; i < outputs.size(); i++) {
                Dims64 d = eng.getTensorShape(outputs.get(i)); // [-1, C, H, W]
                if (d.nbDims() != 4) {
                    throw new KensaException("TensorRT output " + outputs.get(i) + " is not [N,C,H,W]");
                }
                outputShape[i] = new int[]{(int) d.d(1), (int) d.d(2), (int) d.d(3)};
                outputDevice[i] = cuda.alloc(outputBytes(i, maxBatch));
            }
        } catch (RuntimeException e) {
            if (eng != null) {
                eng.close();
            }
            if (rt != null) {
                rt.close();
            }
            cuda.close();
            throw e;
        }
    }

    /**
     * Parses the ONNX and builds a serialized plan with a batch 1..maxBatch profile. The builder objects' close() is
     * a no-op (see the constructor), so a build leaves its host-side builder state behind: once per model and box,
     * since the plan is cached.
     */
    private byte[] build(Path onnx) {
        byte[] model;
        try {
            model = Files.readAllBytes(onnx);
        } catch (IOException e) {
            throw new KensaException("backbone not readable: " + onnx + ": " + e.getMessage(), e);
        }
        try (IBuilder builder = nvinfer.createInferBuilder(logger);
             INetworkDefinition network = builder.createNetworkV2(0); // explicit batch is the only mode in TensorRT 10
             IParser parser = nvonnxparser.createParser(network, logger);
             IBuilderConfig config = builder.createBuilderConfig();
             BytePointer modelBytes = new BytePointer(model)) {
            if (!parser.parse(modelBytes, model.length)) {
                String why = parser.getNbErrors() > 0 ? parser.getError(0).desc() : logger.lastError();
                throw new KensaException("TensorRT cannot parse " + onnx.getFileName() + ": " + why);
            }
            keepOnlyRequestedOutputs(network);
            ITensor input = network.getInput(0);
            IOptimizationProfile profile = builder.createOptimizationProfile();
            profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kMIN, new Dims64(shape(1)));
            profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kOPT, new Dims64(shape(maxBatch)));
            profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kMAX, new Dims64(shape(maxBatch)));
            config.addOptimizationProfile(profile);
            config.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, WORKSPACE_BYTES);
            if (precision == Precision.FP16) {
                if (builder.platformHasFastFp16()) {
                    config.setFlag(nvinfer.BuilderFlag.kFP16);
                } else {
                    LOG.warnf("%s has no fast FP16; building the engine in FP32", gpu.name());
                }
            }
            IHostMemory plan = builder.buildSerializedNetwork(network, config);
            if (plan == null || plan.isNull()) {
                throw new KensaException("TensorRT engine build failed: " + logger.lastError());
            }
            try (plan) {
                byte[] bytes = new byte[(int) plan.size()];
                new BytePointer(plan.data()).capacity(plan.size()).get(bytes);
                return bytes;
            }
        }
    }

    private Dims64 shape(int batch) {
        Dims64 d = new Dims64();
        d.nbDims(4).d(0, batch).d(1, 3).d(2, inputSize).d(3, inputSize);
        return d;
    }

    /** The ONNX may export more outputs than the embedding uses; unused ones would cost copies. */
    private void keepOnlyRequestedOutputs(INetworkDefinition network) {
        List<ITensor> drop = new ArrayList<>();
        List<String> found = new ArrayList<>();
        for (int i = 0; i < network.getNbOutputs(); i++) {
            ITensor t = network.getOutput(i);
            found.add(t.getName());
            if (!outputs.contains(t.getName())) {
                drop.add(t);
            }
        }
        if (!found.containsAll(outputs)) {
            throw new KensaException("backbone has outputs " + found + ", the bundle wants " + outputs);
        }
        drop.forEach(network::unmarkOutput);
    }

    private static String findInput(ICudaEngine engine) {
        for (int i = 0; i < engine.getNbIOTensors(); i++) {
            String name = engine.getIOTensorName(i);
            if (engine.getTensorIOMode(name) == nvinfer.TensorIOMode.kINPUT) {
                return name;
            }
        }
        throw new KensaException("TensorRT engine has no input tensor");
    }

    @Override
    public synchronized FeatureMaps extract(float[] input, int batch) {
        enqueue(input, batch);
        FeatureMaps out = maps.computeIfAbsent(batch, this::newMaps);
        for (int i = 0; i < outputs.size(); i++) {
            FeatureMaps.Layer layer = out.layers().get(i);
            try (FloatPointer host = new FloatPointer(layer.data())) {
                cuda.download(host, outputDevice[i], outputBytes(i, batch));
            }
        }
        cuda.synchronize();
        return out;
    }

    @Override
    public synchronized DeviceFeatureMaps extractOnDevice(float[] input, int batch) {
        enqueue(input, batch);
        // the scorer launches on its own stream: wait here so the layers are complete when it reads them
        cuda.synchronize();
        return deviceMaps.computeIfAbsent(batch, this::newDeviceMaps);
    }

    /** Input to the device and inference enqueued on this backbone's stream; outputs in {@link #outputDevice}. */
    private void enqueue(float[] input, int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside the engine's 1.." + maxBatch);
        }
        cuda.makeCurrent();
        int length = batch * 3 * inputSize * inputSize;
        inputHost.clear();
        inputHost.put(input, 0, length);
        try (FloatPointer host = new FloatPointer(inputHost)) {
            cuda.upload(inputDevice, host, 4L * length);
        }
        if (!context.setInputShape(inputName, shape(batch))) {
            throw new KensaException("TensorRT refused input shape batch " + batch + ": " + logger.lastError());
        }
        context.setTensorAddress(inputName, CudaSession.devicePointer(inputDevice));
        for (int i = 0; i < outputs.size(); i++) {
            context.setTensorAddress(outputs.get(i), CudaSession.devicePointer(outputDevice[i]));
        }
        if (!context.enqueueV3(cuda.stream())) {
            throw new KensaException("TensorRT inference failed: " + logger.lastError());
        }
    }

    /** Bytes of output {@code i} for {@code batch} images. */
    private long outputBytes(int i, int batch) {
        return DeviceBuffers.layerBytes(batch, outputShape[i][0], outputShape[i][1], outputShape[i][2]);
    }

    private DeviceFeatureMaps newDeviceMaps(int batch) {
        List<DeviceFeatureMaps.Layer> layers = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            int[] s = outputShape[i];
            layers.add(new DeviceFeatureMaps.Layer(outputs.get(i), s[0], s[1], s[2], outputDevice[i]));
        }
        return new DeviceFeatureMaps(batch, layers);
    }

    private FeatureMaps newMaps(int batch) {
        List<FeatureMaps.Layer> layers = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            int[] s = outputShape[i];
            FloatBuffer data = ByteBuffer.allocateDirect((int) outputBytes(i, batch)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            layers.add(new FeatureMaps.Layer(outputs.get(i), s[0], s[1], s[2], data));
        }
        return new FeatureMaps(batch, layers);
    }

    @Override
    public int inputSize() {
        return inputSize;
    }

    @Override
    public String describe() {
        return "tensorrt " + gpu.tensorRtVersion() + " " + precision.name().toLowerCase(java.util.Locale.ROOT)
                + " batch 1.." + maxBatch + " (" + engineSource + " engine, " + (activationBytes >> 20) + " MiB activations) on "
                + gpu.describe();
    }

    @Override
    public synchronized void close() {
        try {
            cuda.makeCurrent();
            cuda.synchronize(); // nothing of ours still runs in the memory freed below
            // no-ops today (see the constructor): the engine's weights and these small host objects stay allocated
            // until the process ends, once per model load; the activation and I/O memory is freed by cuda.close()
            context.close();
            engine.close();
            runtime.close();
        } finally {
            cuda.close();
        }
    }

    /** Routes TensorRT's messages to our log and keeps the last error for exception messages. */
    private static final class Logger4Trt extends ILogger {
        /** Created on first use, i.e. only where the GPU probe found TensorRT. */
        static final Logger4Trt INSTANCE = new Logger4Trt();
        private volatile String lastError = "no detail from TensorRT";

        @Override
        public void log(Severity severity, String msg) {
            switch (severity) {
                case kINTERNAL_ERROR, kERROR -> {
                    lastError = msg;
                    LOG.errorf("TensorRT: %s", msg);
                }
                case kWARNING -> LOG.warnf("TensorRT: %s", msg);
                case kINFO -> LOG.debugf("TensorRT: %s", msg);
                default -> LOG.tracef("TensorRT: %s", msg);
            }
        }

        String lastError() {
            return lastError;
        }
    }
}
