package io.userstream.application.support;

import io.userstream.application.port.out.TimeSource;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Counts failures per key in fixed windows, and says when a key has had too many: the brake on password
 * guessing, per account and per caller. Bounded: it remembers the {@code capacity} most recently failing
 * keys, so a flood of random logins cannot grow it without limit (an evicted key starts again from zero,
 * which a flood of that size makes irrelevant: the per-caller limit has stopped it long before).
 *
 * <p>Thread-safe; one lock, held for a map operation.
 */
public final class AttemptLimiter {

    /**
     * @param maxFailures failures allowed in one window; the next attempt in that window is refused
     * @param window      length of a window, counted from the key's first failure in it
     * @param capacity    keys remembered at most
     */
    public record Limit(int maxFailures, Duration window, int capacity) {
        public Limit {
            Objects.requireNonNull(window, "window");
            if (maxFailures < 1 || window.isNegative() || window.isZero() || capacity < 1) {
                throw new IllegalArgumentException("a limit needs maxFailures >= 1, a positive window and capacity >= 1");
            }
        }
    }

    private record Window(Instant start, int failures) {
    }

    private final Limit limit;
    private final TimeSource clock;
    private final Map<String, Window> windows;

    public AttemptLimiter(Limit limit, TimeSource clock) {
        this.limit = Objects.requireNonNull(limit, "limit");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.windows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
                return size() > limit.capacity();
            }
        };
    }

    /** How long {@code key} must wait before its next attempt; empty if it may try now. */
    public synchronized Optional<Duration> blockedFor(String key) {
        Window window = current(key);
        if (window == null || window.failures() < limit.maxFailures()) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(clock.now(), window.start().plus(limit.window())));
    }

    /** Counts a failure of {@code key}. */
    public synchronized void failed(String key) {
        Window window = current(key);
        windows.put(key, window == null ? new Window(clock.now(), 1) : new Window(window.start(), window.failures() + 1));
    }

    /** Forgets {@code key}'s failures (a success on an account). */
    public synchronized void succeeded(String key) {
        windows.remove(key);
    }

    private Window current(String key) {
        Window window = windows.get(key);
        if (window != null && !clock.now().isBefore(window.start().plus(limit.window()))) {
            windows.remove(key);
            return null;
        }
        return window;
    }
}
