package io.userstream.adapters.rabbitmq;

import java.util.UUID;

/**
 * Which of the consumer's workers applies a user's events: always the same one for a user, so that its
 * events are applied in queue order, and spread evenly over the workers for any kind of UUID (the bits
 * are mixed first, so that ids differing in a few bits only do not all land on one worker).
 */
final class WorkerOfUser {

    private WorkerOfUser() {
    }

    /** The worker, in {@code [0, workers)}, of the user. */
    static int of(UUID userId, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, not " + workers);
        }
        long h = userId.getMostSignificantBits() * 0x9E3779B97F4A7C15L ^ userId.getLeastSignificantBits();
        // MurmurHash3's 64-bit finalizer.
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) Math.floorMod(h, (long) workers);
    }
}
