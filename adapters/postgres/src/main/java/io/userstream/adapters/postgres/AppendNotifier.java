package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wakes the subscriptions (which {@code LISTEN} on {@link #CHANNEL}) after appends: one {@code NOTIFY} per
 * burst of appends, sent by a thread of its own on a connection of its own.
 *
 * <p>Why not in the append's own transaction (as a trigger did until migration V4): a transaction that
 * has sent a {@code NOTIFY} takes one database-wide lock from before its commit until after it, WAL
 * flush included, so every appending transaction committed one at a time and group commit was lost.
 * Measured with pgbench, 16 clients inserting one event-shaped row each: with the trigger 0.06–0.35 × the
 * rate without it (see the README's "Decisions"). Here appends only flag that something was appended; the
 * thread sends one {@code NOTIFY} for everything flagged since its last one, so notifications are at most
 * one round trip behind the commit they announce, and only this thread ever waits for that lock.
 *
 * <p>The notification is only a wake-up: subscriptions read the log itself and poll it as well, so a lost
 * notification (the database unreachable, a crash) delays them and loses nothing. That is also why its
 * transaction commits without waiting for its WAL flush ({@code synchronous_commit} off, for it alone).
 */
final class AppendNotifier implements AutoCloseable {

    /** The channel subscriptions listen on. */
    static final String CHANNEL = "userstream_events";

    private static final Logger LOG = Logger.getLogger(AppendNotifier.class.getName());
    private static final String NOTIFY =
            "SELECT set_config('synchronous_commit', 'off', true), pg_notify('" + CHANNEL + "', '')";
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofMillis(200);

    private final SessionConnections sessions;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Thread thread;
    private volatile boolean closed;

    AppendNotifier(SessionConnections sessions) {
        this.sessions = sessions;
        this.thread = Thread.ofPlatform().daemon().name("userstream-append-notifier").start(this::run);
    }

    /** Something was appended and committed: a {@code NOTIFY} follows soon. Cheap; never blocks. */
    void appended() {
        if (pending.compareAndSet(false, true)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        Connection connection = null;
        boolean failing = false;
        while (!closed) {
            if (!pending.getAndSet(false)) {
                LockSupport.park(this);
                continue;
            }
            try {
                if (connection == null) {
                    connection = sessions.connection();
                }
                try (Statement notify = connection.createStatement()) {
                    notify.execute(NOTIFY);
                }
                if (failing) {
                    LOG.info("append notifier: notifying subscriptions again");
                    failing = false;
                }
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                connection = null;
                if (!failing) {
                    // Subscriptions still poll: they fall behind by up to their poll interval, no more.
                    LOG.log(Level.WARNING, "append notifier: cannot notify subscriptions (they keep polling): " + e);
                    failing = true;
                }
                pending.set(true);
                LockSupport.parkNanos(this, RETRY_AFTER_FAILURE.toNanos());
            }
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Broken already; the pool discards it.
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
