package io.userstream.bootstrap.bench;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

/**
 * Closed-loop load for the harness ({@link Bench}): N platform threads, each running its own {@link Worker}
 * step after step, first for a warm-up that is not counted, then for the measured window. Each thread
 * records the latency of every step that ends inside the window into its own HdrHistogram (nanoseconds,
 * 3 significant digits); the histograms are added up at the end. A step that throws is counted as an
 * error, not as a latency, and the run goes on.
 */
final class Measurement {

    /** Longest latency a histogram tracks exactly; longer ones are recorded as this. */
    private static final long HIGHEST_NANOS = Duration.ofSeconds(60).toNanos();

    private Measurement() {
    }

    /**
     * One thread's unit of work: one command, one append, one stream load. Owns its thread's state, and is
     * closed (if it is {@link AutoCloseable}) on its thread when the run ends.
     */
    interface Worker {
        /** @return the kind of step it was (0 to {@link #KINDS} - 1), for latencies by kind; 0 if all alike */
        int step() throws Exception;
    }

    /**
     * A worker that times its own steps: the latency recorded is {@link #lastStepNanos()} (e.g. the call
     * alone, without the untimed preparation the step also does), the rate still counts whole steps.
     */
    interface SelfTimed extends Worker {
        /** The latency of the step that just ended, in ns. */
        long lastStepNanos();
    }

    /** Kinds of step a run keeps apart (e.g. CreateUser and UpdateProfile in one mix). */
    static final int KINDS = 2;

    /**
     * One measured run of one system.
     *
     * @param operations steps that ended inside the measured window without error
     * @param seconds    the measured window's length
     * @param latency    their latencies in nanoseconds
     * @param errors     steps that threw inside the window
     * @param firstError the first of them, if any
     * @param byKind     the latencies by kind of step ({@link Worker#step()})
     * @param cpuNanos   CPU time this JVM (the client: harness, driver, the system under test's Java side)
     *                   used during the measured window, all threads; -1 if the JVM cannot tell
     */
    record Run(long operations, double seconds, Histogram latency, long errors, String firstError,
               Histogram[] byKind, long cpuNanos) {
        /** Client CPU per operation in µs (NaN if unknown). */
        double cpuMicrosPerOperation() {
            return cpuNanos < 0 || operations == 0 ? Double.NaN : cpuNanos / 1e3 / operations;
        }

        double rate() {
            return operations / seconds;
        }

        double p50Ms() {
            return latency.getValueAtPercentile(50) / 1e6;
        }

        double p99Ms() {
            return latency.getValueAtPercentile(99) / 1e6;
        }

        double maxMs() {
            return latency.getMaxValue() / 1e6;
        }

        /** Mean latency in ms. */
        double meanMs() {
            return latency.getMean() / 1e6;
        }
    }

    static Histogram histogram() {
        return new Histogram(HIGHEST_NANOS, 3);
    }

    static void record(Histogram histogram, long nanos) {
        histogram.recordValue(Math.min(Math.max(nanos, 0), HIGHEST_NANOS));
    }

    /**
     * Runs {@code threads} workers (made by {@code workers}, one per thread, on that thread) for
     * {@code warmUp} (not counted), then for {@code measured}.
     */
    static Run run(int threads, Duration warmUp, Duration measured, IntFunction<Worker> workers)
            throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        Histogram[][] histograms = new Histogram[threads][KINDS];
        long[] errors = new long[threads];
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            for (int k = 0; k < KINDS; k++) {
                histograms[t][k] = histogram();
            }
            running.add(Thread.ofPlatform().name("bench-" + t).start(() -> {
                Worker worker;
                try {
                    worker = workers.apply(thread);
                } catch (RuntimeException e) {
                    firstError.compareAndSet(null, "worker setup: " + e);
                    errors[thread]++;
                    ready.countDown();
                    return;
                }
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long start = window[0];
                long end = window[1];
                Histogram[] histogram = histograms[thread];
                while (true) {
                    long begin = System.nanoTime();
                    if (begin >= end) {
                        break;
                    }
                    boolean failed = false;
                    int kind = 0;
                    try {
                        kind = worker.step();
                    } catch (Exception | AssertionError e) {
                        failed = true;
                        if (begin >= start) {
                            firstError.compareAndSet(null, e.toString());
                        }
                    }
                    long finished = System.nanoTime();
                    if (finished >= start && finished < end) {
                        if (failed) {
                            errors[thread]++;
                        } else {
                            record(histogram[kind], worker instanceof SelfTimed timed ? timed.lastStepNanos()
                                    : finished - begin);
                        }
                    }
                }
                if (worker instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        firstError.compareAndSet(null, "worker close: " + e);
                    }
                }
            }));
        }
        ready.await();
        long now = System.nanoTime();
        window[0] = now + warmUp.toNanos();
        window[1] = window[0] + measured.toNanos();
        go.countDown();
        sleepUntil(window[0]);
        long cpuAtStart = processCpuNanos();
        sleepUntil(window[1]);
        long cpuAtEnd = processCpuNanos();
        for (Thread thread : running) {
            thread.join();
        }
        Histogram total = histogram();
        Histogram[] byKind = new Histogram[KINDS];
        for (int k = 0; k < KINDS; k++) {
            byKind[k] = histogram();
            for (Histogram[] perThread : histograms) {
                byKind[k].add(perThread[k]);
            }
            total.add(byKind[k]);
        }
        return new Run(total.getTotalCount(), measured.toNanos() / 1e9, total, Arrays.stream(errors).sum(),
                firstError.get(), byKind, cpuAtStart < 0 || cpuAtEnd < 0 ? -1 : cpuAtEnd - cpuAtStart);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** CPU time of this process (all its threads) in ns, or -1. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The median of the values (the mean of the middle two for an even count); NaN for none. */
    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted()
                .toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    static double median(List<Run> runs, ToDoubleFunction<Run> figure) {
        return median(runs.stream().map(figure::applyAsDouble).toList());
    }
}
