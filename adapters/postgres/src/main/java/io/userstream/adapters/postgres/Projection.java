package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * A read model kept in PostgreSQL from the event log. Its effects run in the subscription's
 * transaction, together with the checkpoint, so an event is applied exactly when the checkpoint
 * passes it. The table is a parameter because a rebuild applies the same events to a shadow copy.
 */
interface Projection {

    /** Name of the projection and of its subscription. */
    String name();

    /** The live table it maintains. */
    String table();

    /**
     * Applies one event to {@code table}. Must be idempotent (a version already applied changes
     * nothing), and must throw rather than silently ignore an event it cannot apply.
     */
    void apply(Connection transaction, String table, RecordedUserEvent event) throws SQLException;

    /** Removes what the projection knows of one stream, before the stream is replayed into it. */
    void forget(Connection transaction, String table, UUID streamId) throws SQLException;
}
