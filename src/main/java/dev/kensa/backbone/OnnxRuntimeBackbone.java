package dev.kensa.backbone;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kensa.KensaException;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CPU backbone on ONNX Runtime. Chosen over OpenCV's dnn module by measurement on the shared ResNet-18
 * (2 threads): 8.4 vs 13.2 ms/image at batch 1 and 9.3 vs 12.9 at batch 8, outputs equal within 1e-5.
 * One session per instance; {@code OrtSession.run} is thread-safe, but batches are best run one at a time
 * since the session already uses every core.
 */
public final class OnnxRuntimeBackbone implements Backbone {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final List<String> outputs;
    private final int inputSize;
    private final int threads;
    private final Map<Integer, Slot> slots = new java.util.HashMap<>();

    /**
     * @param model   the ONNX file
     * @param outputs output names to fetch, in embedding order
     * @param threads intra-op threads (cores to use)
     */
    public OnnxRuntimeBackbone(Path model, List<String> outputs, int threads) {
        if (!Files.isRegularFile(model)) {
            throw new KensaException("backbone not found: " + model);
        }
        this.env = OrtEnvironment.getEnvironment();
        this.outputs = List.copyOf(outputs);
        this.threads = threads;
        OrtSession s = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // ORT's pool spin-waits after each run by default, taking the cores from the scorer and decoder
            // that run next on this small box; measured with kensa bench, spinning off is faster end to end
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            s = env.createSession(model.toString(), options);
            Map<String, NodeInfo> inputs = s.getInputInfo();
            if (inputs.size() != 1) {
                throw new KensaException("backbone " + model + ": expected one input, found " + inputs.keySet());
            }
            NodeInfo in = inputs.values().iterator().next();
            this.inputName = in.getName();
            long[] shape = ((TensorInfo) in.getInfo()).getShape();
            if (shape.length != 4 || shape[1] != 3) {
                throw new KensaException("backbone " + model + ": input " + inputName + " must be [N,3,H,W], is "
                        + java.util.Arrays.toString(shape));
            }
            this.inputSize = shape[2] > 0 ? (int) shape[2] : 224;
            for (String name : outputs) {
                if (!s.getOutputNames().contains(name)) {
                    throw new KensaException("backbone " + model + ": no output named '" + name + "' (has "
                            + s.getOutputNames() + ")");
                }
            }
            this.session = s;
            s = null;
        } catch (OrtException e) {
            throw new KensaException("backbone " + model + " does not load: " + firstLine(e.getMessage()), e);
        } finally {
            if (s != null) {
                closeQuietly(s);
            }
        }
    }

    /**
     * Runs a batch into buffers reused across calls of the same batch size: a direct input buffer and pinned
     * output tensors ORT writes into, so steady-state inference allocates nothing large. One run at a time.
     */
    @Override
    public synchronized FeatureMaps extract(float[] input, int batch) {
        Slot slot = slots.computeIfAbsent(batch, this::newSlot);
        int length = batch * 3 * inputSize * inputSize;
        slot.input.clear();
        slot.input.put(input, 0, length);
        slot.input.flip();
        try (OrtSession.Result result = session.run(Map.of(inputName, slot.inputTensor), slot.pinned)) {
            return slot.maps;
        } catch (OrtException e) {
            throw new KensaException("backbone inference failed: " + firstLine(e.getMessage()), e);
        }
    }

    /** Input and pinned outputs for one batch size; output shapes come from a first unpinned run. */
    private final class Slot implements AutoCloseable {
        final FloatBuffer input;
        final OnnxTensor inputTensor;
        final Map<String, OnnxTensor> pinned = new java.util.LinkedHashMap<>();
        final FeatureMaps maps;

        Slot(int batch) throws OrtException {
            long[] shape = {batch, 3, inputSize, inputSize};
            input = java.nio.ByteBuffer.allocateDirect(batch * 3 * inputSize * inputSize * 4)
                    .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
            inputTensor = OnnxTensor.createTensor(env, input, shape);
            List<FeatureMaps.Layer> layers = new ArrayList<>(outputs.size());
            try (OrtSession.Result probe = session.run(Map.of(inputName, inputTensor), new java.util.LinkedHashSet<>(outputs))) {
                for (String name : outputs) {
                    OnnxTensor out = (OnnxTensor) probe.get(name).orElseThrow();
                    long[] s = out.getInfo().getShape();
                    if (s.length != 4 || s[0] != batch) {
                        throw new KensaException("backbone output " + name + " has shape " + java.util.Arrays.toString(s)
                                + ", expected [" + batch + ",C,H,W]");
                    }
                    FloatBuffer buffer = java.nio.ByteBuffer.allocateDirect((int) (s[0] * s[1] * s[2] * s[3] * 4))
                            .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                    pinned.put(name, OnnxTensor.createTensor(env, buffer, s));
                    layers.add(new FeatureMaps.Layer(name, (int) s[1], (int) s[2], (int) s[3], buffer));
                }
            }
            maps = new FeatureMaps(batch, layers);
        }

        @Override
        public void close() {
            inputTensor.close();
            pinned.values().forEach(OnnxTensor::close);
        }
    }

    private Slot newSlot(int batch) {
        try {
            return new Slot(batch);
        } catch (OrtException e) {
            throw new KensaException("backbone cannot run a batch of " + batch + ": " + firstLine(e.getMessage()), e);
        }
    }

    @Override
    public int inputSize() {
        return inputSize;
    }

    @Override
    public String describe() {
        return "onnxruntime-cpu " + env.getVersion() + " (" + threads + " threads)";
    }

    @Override
    public synchronized void close() {
        slots.values().forEach(Slot::close);
        slots.clear();
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException ignored) {
            // nothing left to release
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
