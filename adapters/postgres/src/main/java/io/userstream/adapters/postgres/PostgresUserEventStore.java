package io.userstream.adapters.postgres;

import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.domain.user.UserId;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.postgresql.util.ServerErrorMessage;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link UserEventStore} on PostgreSQL.
 *
 * <p>An append is ONE autocommitted statement (data-modifying CTEs): a guard that the stream is at
 * the expected version, the reservation releases and claims, and the event inserts. One round trip
 * and no explicit transaction is the cheapest shape PostgreSQL offers, and it is atomic: if any
 * part fails, none of it is written. Two writers that both pass the guard are separated by the
 * {@code UNIQUE (stream_id, version)} constraint; a claimed value held by another stream violates its
 * reservation table's primary key. Both violations become outcomes, not exceptions.
 */
public final class PostgresUserEventStore implements UserEventStore {

    private static final String APPEND = """
            WITH guard AS (
                SELECT 1 AS ok
                WHERE coalesce((SELECT max(version) FROM events WHERE stream_id = ?), 0) = ?
            ), released_emails AS (
                DELETE FROM email_reservations
                WHERE stream_id = ? AND email_key = ANY (?::text[]) AND EXISTS (SELECT 1 FROM guard)
            ), released_usernames AS (
                DELETE FROM username_reservations
                WHERE stream_id = ? AND username = ANY (?::text[]) AND EXISTS (SELECT 1 FROM guard)
            ), claimed_emails AS (
                INSERT INTO email_reservations (email_key, stream_id)
                SELECT key, ? FROM unnest(?::text[]) AS claim(key) WHERE EXISTS (SELECT 1 FROM guard)
            ), claimed_usernames AS (
                INSERT INTO username_reservations (username, stream_id)
                SELECT key, ? FROM unnest(?::text[]) AS claim(key) WHERE EXISTS (SELECT 1 FROM guard)
            ), appended AS (
                INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version,
                                    payload, metadata, occurred_at)
                SELECT e.event_id, ?, ?, ? + e.ord, e.event_type, e.schema_version, e.payload::jsonb, ?::jsonb,
                       e.occurred_at
                FROM unnest(?::uuid[], ?::text[], ?::int[], ?::text[], ?::timestamptz[])
                     WITH ORDINALITY AS e(event_id, event_type, schema_version, payload, occurred_at, ord)
                WHERE EXISTS (SELECT 1 FROM guard)
                ORDER BY e.ord
                RETURNING version
            )
            SELECT max(version) FROM appended
            """;

    private static final String LOAD = """
            SELECT event_id, version, position, event_type, schema_version, payload::text, metadata::text,
                   occurred_at, recorded_at
            FROM events
            WHERE stream_id = ?
            ORDER BY version
            """;

    private final DataSource dataSource;
    private final UserEventCodec codec = new UserEventCodec();

    public PostgresUserEventStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public List<RecordedUserEvent> load(UserId userId) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(LOAD)) {
            statement.setObject(1, userId.value());
            List<RecordedUserEvent> events = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    events.add(new RecordedUserEvent(
                            rows.getObject(1, UUID.class),
                            rows.getLong(2),
                            rows.getLong(3),
                            codec.decode(userId, rows.getString(4), rows.getInt(5), rows.getString(6),
                                    rows.getTimestamp(8).toInstant()),
                            codec.metadata(rows.getString(7)),
                            rows.getTimestamp(9).toInstant()));
                }
            }
            return events;
        } catch (SQLException e) {
            throw DatabaseException.of("cannot load stream " + userId, e);
        }
    }

    @Override
    public AppendOutcome append(AppendRequest request) {
        UUID stream = request.userId().value();
        List<NewUserEvent> events = request.events();
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        Integer[] schemaVersions = new Integer[n];
        String[] payloads = new String[n];
        Timestamp[] occurredAt = new Timestamp[n];
        for (int i = 0; i < n; i++) {
            UserEventCodec.Encoded encoded = codec.encode(events.get(i).event());
            ids[i] = events.get(i).eventId();
            types[i] = encoded.eventType();
            schemaVersions[i] = encoded.schemaVersion();
            payloads[i] = encoded.payload();
            occurredAt[i] = Timestamp.from(events.get(i).event().occurredAt());
        }
        List<Reservation> claims = request.reservations().claim();
        List<Reservation> releases = request.reservations().release();

        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(APPEND)) {
            int p = 1;
            statement.setObject(p++, stream);
            statement.setLong(p++, request.expectedVersion());
            statement.setObject(p++, stream);
            statement.setArray(p++, textArray(connection, keys(releases, Reservation.Kind.EMAIL)));
            statement.setObject(p++, stream);
            statement.setArray(p++, textArray(connection, keys(releases, Reservation.Kind.USERNAME)));
            statement.setObject(p++, stream);
            statement.setArray(p++, textArray(connection, keys(claims, Reservation.Kind.EMAIL)));
            statement.setObject(p++, stream);
            statement.setArray(p++, textArray(connection, keys(claims, Reservation.Kind.USERNAME)));
            statement.setObject(p++, stream);
            statement.setString(p++, UserEventCodec.STREAM_TYPE);
            statement.setLong(p++, request.expectedVersion());
            statement.setString(p++, codec.metadataJson(request.metadata()));
            statement.setArray(p++, connection.createArrayOf("uuid", ids));
            statement.setArray(p++, connection.createArrayOf("text", types));
            statement.setArray(p++, connection.createArrayOf("int4", schemaVersions));
            statement.setArray(p++, connection.createArrayOf("text", payloads));
            statement.setArray(p, connection.createArrayOf("timestamptz", occurredAt));
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                long newVersion = rows.getLong(1);
                // No row appended: the guard saw another version.
                return rows.wasNull() ? new AppendOutcome.VersionConflict() : new AppendOutcome.Appended(newVersion);
            }
        } catch (PSQLException e) {
            Optional<AppendOutcome> outcome = outcomeOfViolation(e, claims);
            if (outcome.isPresent()) {
                return outcome.get();
            }
            throw DatabaseException.of("cannot append to stream " + stream, e);
        } catch (SQLException e) {
            throw DatabaseException.of("cannot append to stream " + stream, e);
        }
    }

    private static Optional<AppendOutcome> outcomeOfViolation(PSQLException e, List<Reservation> claims) {
        ServerErrorMessage error = e.getServerErrorMessage();
        if (error == null || !PSQLState.UNIQUE_VIOLATION.getState().equals(e.getSQLState())) {
            return Optional.empty();
        }
        String constraint = error.getConstraint() == null ? "" : error.getConstraint();
        return switch (constraint) {
            case "events_stream_version_key" -> Optional.of(new AppendOutcome.VersionConflict());
            case "email_reservations_pkey" -> claimOf(claims, Reservation.Kind.EMAIL);
            case "username_reservations_pkey" -> claimOf(claims, Reservation.Kind.USERNAME);
            default -> Optional.empty();
        };
    }

    private static Optional<AppendOutcome> claimOf(List<Reservation> claims, Reservation.Kind kind) {
        return claims.stream().filter(claim -> claim.kind() == kind).findFirst()
                .map(AppendOutcome.ReservationTaken::new);
    }

    private static String[] keys(List<Reservation> reservations, Reservation.Kind kind) {
        return reservations.stream().filter(r -> r.kind() == kind).map(Reservation::key).toArray(String[]::new);
    }

    private static Array textArray(Connection connection, String[] values) throws SQLException {
        return connection.createArrayOf("text", values);
    }
}
