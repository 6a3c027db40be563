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
 * Every image source (HTTP, hot folder, MQTT) submits here. Two bounds give back-pressure: the number of images
 * waiting ({@code kensa.queue-capacity}) and the image memory held ({@link DecodeBudget},
 * {@code kensa.image.decode-budget-bytes}). HTTP fails at once when either is spent ({@link BusyException}, 503
 * with Retry-After); the hot folder and MQTT wait, since their senders keep the image meanwhile. One worker takes what
 * is waiting, up to {@code kensa.batch-size} images, and runs them as one backbone batch, so concurrent requests
 * share the batch the backend is fastest at; each result is journalled before its caller is answered.
 */
@ApplicationScoped
public class InspectionQueue {
    private static final Logger LOG = Logger.getLogger(InspectionQueue.class);

    /** An inspection and its journal entry. */
    public record Recorded(Inspection inspection, JournalEntry entry) {
    }

    /** Too busy to take an image now: answer 503 with Retry-After. */
    public static class BusyException extends KensaException {
        public BusyException(String message) {
            super(message);
        }
    }

    public static final class QueueFullException extends BusyException {
        public QueueFullException(int capacity) {
            super("inspection queue full (" + capacity + " waiting): try again shortly");
        }
    }

    private record Job(ImageInput input, byte[] bytes, DecodeBudget.Lease lease, CompletableFuture<Recorded> done) {
    }

    @Inject
    ModelService models;
    @Inject
    ResultStore results;
    @Inject
    DriftWatch drift;
    @Inject
    KensaConfig config;

    private BlockingQueue<Job> queue;
    private DecodeBudget budget;
    private Thread worker;
    private volatile boolean running = true;

    /** The image memory bound shared by every source; HTTP takes a lease before it reads a body. */
    public synchronized DecodeBudget budget() {
        if (budget == null) {
            budget = new DecodeBudget(config.image().decodeBudgetBytes());
        }
        return budget;
    }

    private synchronized void ensureStarted() {
        budget();
        if (queue == null) {
            queue = new ArrayBlockingQueue<>(Math.max(1, config.queueCapacity()));
            worker = new Thread(this::work, "kensa-inspect");
            worker.setDaemon(true);
            worker.start();
        }
    }

    /**
     * Queues an image without waiting (HTTP); the future completes once the result is journalled.
     *
     * @param bytes the image, or null for a {@linkplain ImageInput#refused refused} input
     * @param lease what the caller already holds of the budget for this image (the body it read), or null; grown to
     *              the image's whole cost here and released when the result is journalled or the image refused
     * @throws BusyException when the queue is full or the budget spent (the lease is released)
     */
    public CompletableFuture<Recorded> submit(ImageInput input, byte[] bytes, DecodeBudget.Lease lease) {
        ensureStarted();
        long cost = bytes == null ? 0 : DecodeBudget.cost(bytes);
        DecodeBudget.Lease held = lease != null ? lease : budget.tryAcquire(cost);
        if (held == null || !held.tryGrowTo(cost)) {
            if (held != null) {
                held.close();
            }
            throw new BusyException("image memory in use is at kensa.image.decode-budget-bytes (" + budget.capacity()
                    + " bytes): try again shortly");
        }
        Job job = new Job(input, bytes, held, new CompletableFuture<>());
        if (!queue.offer(job)) {
            held.close();
            throw new QueueFullException(config.queueCapacity());
        }
        job.done().whenComplete((r, e) -> held.close());
        return job.done();
    }

    /**
     * Queues an image and waits for its result, waiting first for budget and queue room (hot folder, MQTT: their
     * senders hold the image meanwhile).
     */
    public Recorded inspectWaiting(ImageInput input, byte[] bytes) throws Exception {
        ensureStarted();
        DecodeBudget.Lease lease = budget.acquire(bytes == null ? 0 : DecodeBudget.cost(bytes));
        Job job = new Job(input, bytes, lease, new CompletableFuture<>());
        try {
            queue.put(job);
        } catch (InterruptedException e) {
            lease.close();
            throw e;
        }
        job.done().whenComplete((r, e) -> lease.close());
        return await(job.done());
    }

    /** Queues without waiting and waits for the result (HTTP). */
    public Recorded inspect(ImageInput input, byte[] bytes, DecodeBudget.Lease lease) throws Exception {
        return await(submit(input, bytes, lease));
    }

    private static Recorded await(CompletableFuture<Recorded> done) throws Exception {
        try {
            return done.get();
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
                            Inspection named = withPartId(in, j.input().partId());
                            JournalEntry entry = results.record(named, model.inspector(), j.bytes());
                            drift.observe(model, named.result()); // watches only: the verdict is already recorded
                            j.done().complete(new Recorded(named, entry));
                        } catch (RuntimeException e) {
                            j.done().completeExceptionally(e);
                        }
                    });
                    jobs.stream().filter(j -> !j.done().isDone()).forEach(j -> j.done().completeExceptionally(
                            new IllegalStateException("the inspector gave no result for " + j.input().source())));
                } finally {
                    model.release();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // an Error too (OutOfMemoryError): this one thread serves every source, so it must not end
                LOG.errorf(e, "inspection batch failed");
                jobs.forEach(j -> j.done().completeExceptionally(e));
            }
        }
    }

    /** The part id the source gave, into the result (the inspector knows only the image). */
    private static Inspection withPartId(Inspection in, String partId) {
        if (partId == null || in.result() == null) {
            return in;
        }
        return new Inspection(in.index(), in.result().withPartId(partId), in.map(), in.thumbnail(),
                in.originalWidth(), in.originalHeight(), in.qualityFailure());
    }

    @PreDestroy
    void stop() {
        running = false;
        if (worker != null) {
            worker.interrupt();
        }
    }
}
