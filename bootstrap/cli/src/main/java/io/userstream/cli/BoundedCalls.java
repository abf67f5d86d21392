package io.userstream.cli;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs blocking calls on virtual threads, at most {@code concurrency} at once: the producer (a JDBC cursor) waits
 * for a free slot, so rows are never read far ahead of the calls that carry them.
 */
final class BoundedCalls implements AutoCloseable {

    private final Semaphore slots;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    BoundedCalls(int concurrency) {
        if (concurrency < 1) {
            throw new CliException(ExitCode.USAGE, "--concurrency must be at least 1");
        }
        this.slots = new Semaphore(concurrency);
    }

    void submit(Runnable call) {
        slots.acquireUninterruptibly();
        threads.execute(() -> {
            try {
                call.run();
            } finally {
                slots.release();
            }
        });
    }

    /** Waits for every submitted call to end. */
    @Override
    public void close() {
        threads.shutdown();
        try {
            while (!threads.awaitTermination(1, TimeUnit.MINUTES)) {
                // Each call has its own deadline: this ends.
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
