package dev.kensa.pipeline;

import dev.kensa.KensaException;
import dev.kensa.image.ImagePreprocessor;
import dev.kensa.image.ImageTensor;
import dev.kensa.quality.QualityGate;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Reads and decodes images in parallel, one batch ahead of the consumer, so decoding overlaps inference.
 * A file that cannot be read or decoded becomes an item with an error; it never stops the run.
 */
public final class BatchLoader implements AutoCloseable {
    private final ImagePreprocessor preprocessor;
    private final ExecutorService pool;

    public BatchLoader(ImagePreprocessor preprocessor, int threads) {
        this.preprocessor = preprocessor;
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "kensa-decode");
            t.setDaemon(true);
            return t;
        });
    }

    /** Calls {@code consumer} with each batch in order; batch k+1 decodes while the consumer works on batch k. */
    public void forEachBatch(List<? extends ImageInput> inputs, int batchSize, Consumer<PreparedBatch> consumer) {
        forEachBatch(inputs, batchSize, null, consumer);
    }

    /**
     * As {@link #forEachBatch(List, int, Consumer)}, each decoded image checked by {@code gate} (null or all off:
     * none) in its decode task: an image that fails is an item with the gate's error and never reaches the backbone.
     */
    public synchronized void forEachBatch(List<? extends ImageInput> inputs, int batchSize, QualityGate gate,
                                          Consumer<PreparedBatch> consumer) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        QualityGate g = gate == null || gate.off() ? null : gate;
        CompletableFuture<PreparedBatch> next = inputs.isEmpty() ? null : submit(inputs, 0, batchSize, g);
        for (int start = 0; start < inputs.size(); start += batchSize) {
            PreparedBatch batch = next.join();
            int following = start + batchSize;
            next = following < inputs.size() ? submit(inputs, following, batchSize, g) : null;
            consumer.accept(batch);
        }
    }

    private CompletableFuture<PreparedBatch> submit(List<? extends ImageInput> inputs, int start, int batchSize, QualityGate gate) {
        int end = Math.min(inputs.size(), start + batchSize);
        int tensor = preprocessor.tensorSize();
        float[] buffer = nextBuffer(batchSize * tensor);
        List<CompletableFuture<PreparedBatch.Item>> items = new ArrayList<>();
        for (int i = start; i < end; i++) {
            int index = i;
            ImageInput input = inputs.get(i);
            int slotGuess = i - start;
            items.add(CompletableFuture.supplyAsync(() -> decode(index, input, buffer, slotGuess * tensor, gate), pool));
        }
        return CompletableFuture.allOf(items.toArray(CompletableFuture[]::new)).thenApply(v -> compact(items, buffer, tensor));
    }

    /**
     * Two input buffers in turn: one batch decodes while the previous one is in inference, never more, since
     * {@link #forEachBatch} joins batch k before submitting k+1 and hands k to the consumer before joining k+1.
     */
    private final float[][] ring = new float[2][];
    private int ringNext;

    private float[] nextBuffer(int size) {
        int i = ringNext;
        ringNext = (ringNext + 1) % ring.length;
        if (ring[i] == null || ring[i].length < size) {
            ring[i] = new float[size];
        }
        return ring[i];
    }

    private PreparedBatch.Item decode(int index, ImageInput input, float[] buffer, int offset, QualityGate gate) {
        long t0 = System.nanoTime();
        try {
            ImageTensor t = preprocessor.prepare(input.readOrThrow(), buffer, offset, gate != null);
            QualityGate.Failure failed = gate != null ? gate.check(t.quality()) : null;
            if (failed != null) {
                // a camera fault, not a part: an ERROR naming the check; its planes in the buffer are never used
                return new PreparedBatch.Item(index, input, -1, null, failed.message(), ms(t0), failed.check());
            }
            return new PreparedBatch.Item(index, input, offset, t, null, ms(t0));
        } catch (KensaException | UncheckedIOException e) {
            return new PreparedBatch.Item(index, input, -1, null, e.getMessage(), ms(t0));
        } catch (RuntimeException e) {
            return new PreparedBatch.Item(index, input, -1, null, "cannot decode " + input.source() + ": " + e, ms(t0));
        }
    }

    /** Moves the decoded images to the front so the backbone sees a dense batch. */
    private static PreparedBatch compact(List<CompletableFuture<PreparedBatch.Item>> futures, float[] buffer, int tensor) {
        List<PreparedBatch.Item> items = new ArrayList<>(futures.size());
        int slot = 0;
        for (CompletableFuture<PreparedBatch.Item> f : futures) {
            PreparedBatch.Item it = f.join();
            if (it.ok()) {
                int from = it.slot();
                if (from != slot * tensor) {
                    System.arraycopy(buffer, from, buffer, slot * tensor, tensor);
                }
                items.add(new PreparedBatch.Item(it.index(), it.input(), slot, it.tensor(), null, it.decodeMs()));
                slot++;
            } else {
                items.add(it);
            }
        }
        return new PreparedBatch(buffer, slot, items);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
