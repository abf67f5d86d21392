package io.userstream.adapters.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * How the event store commits the common append (one event, no reservation change): each on its own, or
 * in groups ({@link GroupCommitter}).
 *
 * @param enabled    group commit on; off, every such append is one autocommitted INSERT of its own
 * @param committers committer threads: how many queued groups may be written at once (each on a connection of
 *                   the pool), besides one lone append written on its caller's thread
 * @param maxGroup   most appends written by one statement
 * @param maxWait    longest an append waits in the queue for a committer before it fails as
 *                   {@link io.userstream.application.port.out.StoreUnavailableException} (nothing written)
 */
public record GroupCommitSettings(boolean enabled, int committers, int maxGroup, Duration maxWait) {

    /** On: one committer thread, up to 256 appends a group, 30 s in the queue at most. */
    public static final GroupCommitSettings DEFAULTS = new GroupCommitSettings(true, 1, 256, Duration.ofSeconds(30));

    /** Off: one INSERT per append, as before group commit. */
    public static final GroupCommitSettings OFF = new GroupCommitSettings(false, 1, 256, Duration.ofSeconds(30));

    public GroupCommitSettings {
        Objects.requireNonNull(maxWait, "maxWait");
        if (committers < 1 || maxGroup < 1) {
            throw new IllegalArgumentException("committers and maxGroup must be at least 1");
        }
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive");
        }
    }
}
