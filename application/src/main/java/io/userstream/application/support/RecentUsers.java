package io.userstream.application.support;

import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The most recently written users, as their aggregates stood after their last append here: a bounded,
 * least-recently-used cache that lets a command on a known user skip loading its stream, so that the
 * command costs one statement (the append) instead of two.
 *
 * <p>It is never trusted blindly. An entry is only a guess of the user's current state: the append's
 * version guard ({@code UNIQUE (stream_id, version)} in the end) rejects a guess that another writer (another
 * replica) made stale, and the command service then forgets the entry and decides again on a fresh load.
 * The service also decides again on a fresh load whenever a guess led to anything but an append (a
 * rejection, a version mismatch, a command with nothing to do), since only an append proves the guess
 * was current.
 *
 * <p>A plain {@link LinkedHashMap} in access order under one lock: the critical sections are a few hundred
 * nanoseconds, against a database round trip per command; and the application layer depends on the JDK
 * and the domain only (an ArchUnit rule).
 */
public final class RecentUsers {

    /** Remembers nothing: every command loads its user. */
    public static final RecentUsers NONE = new RecentUsers(0);

    private final int capacity;
    private final Map<UserId, User> users;

    /** @param capacity how many users to remember at most; 0 remembers none */
    public RecentUsers(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, not " + capacity);
        }
        this.capacity = capacity;
        this.users = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<UserId, User> eldest) {
                return size() > RecentUsers.this.capacity;
            }
        };
    }

    /** The user as last written here, if remembered. */
    public Optional<User> get(UserId id) {
        if (capacity == 0) {
            return Optional.empty();
        }
        synchronized (users) {
            return Optional.ofNullable(users.get(id));
        }
    }

    /** Remembers {@code user} as just written, unless a later version of it is remembered already. */
    public void put(User user) {
        if (capacity == 0) {
            return;
        }
        synchronized (users) {
            users.merge(user.id(), user, (old, fresh) -> fresh.version() >= old.version() ? fresh : old);
        }
    }

    /** Forgets the user: the remembered state proved stale, or the user is gone. */
    public void forget(UserId id) {
        if (capacity == 0) {
            return;
        }
        synchronized (users) {
            users.remove(id);
        }
    }

    /** How many users are remembered now. */
    public int size() {
        synchronized (users) {
            return users.size();
        }
    }

    /** How many users are remembered at most. */
    public int capacity() {
        return capacity;
    }
}
