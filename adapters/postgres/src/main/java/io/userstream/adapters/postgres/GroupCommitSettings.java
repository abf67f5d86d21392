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
 * @param inline     appends written at once on their callers' threads, at most, while no group is being
 *                   written and none is queued: with few writers a hand-off to the committer costs more than
 *                   PostgreSQL's own merging of concurrent commits saves; beyond them, appends queue
 */
public record GroupCommitSettings(boolean enabled, int committers, int maxGroup, Duration maxWait, int inline) {

    /** On: one committer thread, up to 256 appends a group, 30 s in the queue at most, 4 inline. */
    public static final GroupCommitSettings DEFAULTS = new GroupCommitSettings(true, 1, 256, Duration.ofSeconds(30), 4);

    /** Off: one INSERT per append, as before group commit. */
    public static final GroupCommitSettings OFF = new GroupCommitSettings(false, 1, 256, Duration.ofSeconds(30), 1);

    /** With one append inline at a time. */
    public GroupCommitSettings(boolean enabled, int committers, int maxGroup, Duration maxWait) {
        this(enabled, committers, maxGroup, maxWait, 1);
    }

    public GroupCommitSettings {
        if (inline < 1) {
            throw new IllegalArgumentException("inline must be at least 1");
        }
        Objects.requireNonNull(maxWait, "maxWait");
        if (committers < 1 || maxGroup < 1) {
            throw new IllegalArgumentException("committers and maxGroup must be at least 1");
        }
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive");
        }
    }
}
