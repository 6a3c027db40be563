package dev.kensa.daemon;

import dev.kensa.KensaConfig;
import dev.kensa.KensaException;
import dev.kensa.journal.JournalEntry;
import dev.kensa.pipeline.ImageInput;
import dev.kensa.pipeline.Inspection;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Every image source (HTTP, hot folder, MQTT) submits here. A bounded queue gives back-pressure: when it is full a
 * submit fails at once ({@link QueueFullException}, HTTP 503) instead of piling up memory. One worker takes what
 * is waiting, up to {@code kensa.batch-size} images, and runs them as one backbone batch, so concurrent requests
 * share the batch the backend is fastest at; each result is journalled before its caller is answered.
 */
@ApplicationScoped
public class InspectionQueue {
    private static final Logger LOG = Logger.getLogger(InspectionQueue.class);

    /** An inspection and its journal entry. */
    public record Recorded(Inspection inspection, JournalEntry entry) {
    }

    public static final class QueueFullException extends KensaException {
        public QueueFullException(int capacity) {
            super("inspection queue full (" + capacity + " waiting): try again shortly");
        }
    }

    private record Job(ImageInput input, byte[] bytes, CompletableFuture<Recorded> done) {
    }

    @Inject
    ModelService models;
    @Inject
    ResultStore results;
    @Inject
    KensaConfig config;

    private BlockingQueue<Job> queue;
    private Thread worker;
    private volatile boolean running = true;

    private synchronized void ensureStarted() {
        if (queue == null) {
            queue = new ArrayBlockingQueue<>(Math.max(1, config.queueCapacity()));
            worker = new Thread(this::work, "kensa-inspect");
            worker.setDaemon(true);
            worker.start();
        }
    }

    /** Queues an image; the future completes once the result is journalled. */
    public CompletableFuture<Recorded> submit(String source, byte[] bytes, String requestId) {
        ensureStarted();
        Job job = new Job(ImageInput.of(source, bytes, requestId), bytes, new CompletableFuture<>());
        if (!queue.offer(job)) {
            throw new QueueFullException(config.queueCapacity());
        }
        return job.done();
    }

    /** Queues and waits: for sources that answer synchronously. */
    public Recorded inspect(String source, byte[] bytes, String requestId) throws Exception {
        try {
            return submit(source, bytes, requestId).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    public int waiting() {
        return queue == null ? 0 : queue.size();
    }

    private void work() {
        int batch = Math.max(1, config.batchSize());
        List<Job> jobs = new ArrayList<>(batch);
        while (running) {
            try {
                jobs.clear();
                jobs.add(queue.take());
                queue.drainTo(jobs, batch - 1);
                // held for the whole batch: a swap meanwhile lets this batch finish on this model
                dev.kensa.model.ModelManager.Loaded model = models.acquire();
                if (model == null) {
                    jobs.forEach(j -> j.done().completeExceptionally(new KensaException("no model is loaded")));
                    continue;
                }
                try {
                    List<ImageInput> inputs = jobs.stream().map(Job::input).toList();
                    model.inspector().inspect(inputs, in -> {
                        Job j = jobs.get(in.index());
                        try {
                            j.done().complete(new Recorded(in, results.record(in, model.inspector(), j.bytes())));
                        } catch (RuntimeException e) {
                            j.done().completeExceptionally(e);
                        }
                    });
                } finally {
                    model.release();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "inspection batch failed");
                jobs.forEach(j -> j.done().completeExceptionally(e));
            }
        }
    }

    @PreDestroy
    void stop() {
        running = false;
        if (worker != null) {
            worker.interrupt();
        }
    }
}
