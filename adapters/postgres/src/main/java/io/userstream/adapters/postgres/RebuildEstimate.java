package io.userstream.adapters.postgres;

import java.time.Duration;
import java.util.Optional;

/** The time a rebuild has left at a given rate, for its log lines and for ListProjections. */
final class RebuildEstimate {

    private RebuildEstimate() {
    }

    /**
     * Time left to apply {@code total - done} events at {@code eventsPerSecond}; empty while there is no rate
     * yet. {@code total} was counted when the rebuild started and the rebuild also follows newer events, so
     * near the end the estimate is a lower bound; it never goes below zero.
     */
    static Optional<Duration> eta(long done, long total, double eventsPerSecond) {
        if (eventsPerSecond <= 0 || Double.isNaN(eventsPerSecond)) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis((long) (Math.max(0, total - done) * 1000 / eventsPerSecond)));
    }

    /**
     * Time left to build {@code toBuild - built} indexes, if each takes as long as those built in the
     * {@code phaseSeconds} so far; empty before the first is built.
     */
    static Optional<Duration> indexesEta(int built, int toBuild, double phaseSeconds) {
        if (built <= 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis((long) (Math.max(0, toBuild - built) * phaseSeconds * 1000 / built)));
    }

    /** {@link #eta} for a log line: "12 s", or "unknown". */
    static String remaining(long done, long total, double eventsPerSecond) {
        return eta(done, total, eventsPerSecond).map(left -> left.toSeconds() + " s").orElse("unknown");
    }
}
