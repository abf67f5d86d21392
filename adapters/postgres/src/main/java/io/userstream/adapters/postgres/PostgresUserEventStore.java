package io.userstream.adapters.postgres;

import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.application.port.out.UserEventStore;
import io.helidon.dbclient.DbClient;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import org.postgresql.util.PSQLState;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link UserEventStore} on PostgreSQL.
 *
 * <p>An append is ONE autocommitted statement (data-modifying CTEs): a guard that the stream is at
 * the expected version, the reservation releases and claims, a new user's data key (or an erased user's
 * key deleted: crypto-shredding is atomic with its event), and the event inserts. One round trip
 * and no explicit transaction is the cheapest shape PostgreSQL offers, and it is atomic: if any
 * part fails, none of it is written. Two writers that both pass the guard are separated by the
 * {@code UNIQUE (stream_id, version)} constraint; a claimed value held by another stream violates its
 * reservation table's primary key. Both violations become outcomes, not exceptions. A statement the
 * database aborts (a deadlock between two appends' reservation changes, SQLSTATE class 40) wrote nothing
 * and is run again by {@link Db}.
 *
 * <p>A committed append wakes the subscriptions through the database's {@link AppendNotifier}, not with a
 * {@code NOTIFY} of its own: that would make concurrent appends commit one at a time.
 *
 * <p>The statements go through the Helidon {@link DbClient}. It binds a {@link UUID} as text and arrays
 * through {@code setObject}, hence the {@code ::uuid} casts and the arrays of strings: ids and instants
 * travel as their text form and PostgreSQL parses them.
 */
public final class PostgresUserEventStore implements UserEventStore, AutoCloseable {

    /** The append: one statement; its parameters are {@link #appendParameters(AppendRequest)}. */
    static final String APPEND = """
            WITH guard AS (
                SELECT 1 AS ok
                WHERE coalesce((SELECT max(version) FROM events WHERE stream_id = ?::uuid), 0) = ?
            ), released_emails AS (
                DELETE FROM email_reservations
                WHERE stream_id = ?::uuid AND email_key = ANY (?::text[]) AND EXISTS (SELECT 1 FROM guard)
            ), released_usernames AS (
                DELETE FROM username_reservations
                WHERE stream_id = ?::uuid AND username = ANY (?::text[]) AND EXISTS (SELECT 1 FROM guard)
            ), claimed_emails AS (
                INSERT INTO email_reservations (email_key, stream_id)
                SELECT key, ?::uuid FROM unnest(?::text[]) AS claim(key) WHERE EXISTS (SELECT 1 FROM guard)
            ), claimed_usernames AS (
                INSERT INTO username_reservations (username, stream_id)
                SELECT key, ?::uuid FROM unnest(?::text[]) AS claim(key) WHERE EXISTS (SELECT 1 FROM guard)
            ), forgotten_key AS (
                DELETE FROM user_keys WHERE stream_id = ?::uuid AND ?::boolean AND EXISTS (SELECT 1 FROM guard)
            ), new_key AS (
                INSERT INTO user_keys (stream_id, data_key)
                SELECT ?::uuid, ?::bytea WHERE ?::bytea IS NOT NULL AND EXISTS (SELECT 1 FROM guard)
            ), appended AS (
                INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version,
                                    payload, metadata, occurred_at)
                SELECT e.event_id, ?::uuid, ?, ? + e.ord, e.event_type, e.schema_version, e.payload::jsonb, ?::jsonb,
                       e.occurred_at
                FROM unnest(?::uuid[], ?::text[], ?::int[], ?::text[], ?::timestamptz[])
                     WITH ORDINALITY AS e(event_id, event_type, schema_version, payload, occurred_at, ord)
                WHERE EXISTS (SELECT 1 FROM guard)
                ORDER BY e.ord
                RETURNING version
            )
            SELECT max(version) AS new_version FROM appended
            """;

    /**
     * The append of the common command: ONE event and no reservation to claim or release (UpdateProfile,
     * activate, deactivate, delete, ChangePassword). A single-row INSERT, nearly the cheapest statement there
     * is: the guard is one probe of the {@code UNIQUE (stream_id, version)} index for the expected version
     * (versions are dense, so the stream is at it exactly when that event exists and the next one does not),
     * and the next one existing already is the unique violation. Parameters: {@link #singleEventParameters}.
     */
    static final String APPEND_ONE = """
            INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                metadata, occurred_at)
            SELECT ?::uuid, ?::uuid, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::timestamptz
            WHERE ? = 0 OR EXISTS (SELECT 1 FROM events WHERE stream_id = ?::uuid AND version = ?)
            """;

    /** The stream holding an e-mail key; one primary-key lookup. */
    static final String HOLDER_OF_EMAIL = "SELECT stream_id FROM email_reservations WHERE email_key = ?";
    /** The stream holding a username; one primary-key lookup. */
    static final String HOLDER_OF_USERNAME = "SELECT stream_id FROM username_reservations WHERE username = ?";

    /**
     * {@link #APPEND_ONE} for a group of such appends ({@link GroupCommitter}): one statement, hence one
     * transaction and one commit, for all of them. Each row has its own guard (the event at its expected
     * version exists, or it expects 0); a row whose next version exists already, committed before or inserted
     * by an earlier row of the same statement (two appends to one stream in one group), is skipped by
     * {@code ON CONFLICT}, which also waits for a concurrent transaction inserting it and skips it if that one
     * commits. Rows are inserted in the order given (sorted by stream by the caller, so that two groups that
     * share streams take their index entries in one order and cannot deadlock). What comes back are the ids of
     * the events inserted; a request whose event is not among them lost its guard or its race: a version
     * conflict. Any other failure (another unique key, a bad value) fails the whole statement and nothing of it
     * is written. Parameters: the stream type, then one array per column ({@link #appendGroup}).
     */
    static final String APPEND_GROUP = """
            INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                metadata, occurred_at)
            SELECT r.event_id, r.stream_id, ?, r.expected + 1, r.event_type, r.schema_version, r.payload::jsonb,
                   r.metadata::jsonb, r.occurred_at::timestamptz
            FROM unnest(?::uuid[], ?::uuid[], ?::int8[], ?::text[], ?::int4[], ?::text[], ?::text[], ?::text[])
                 WITH ORDINALITY AS r(event_id, stream_id, expected, event_type, schema_version, payload, metadata,
                                      occurred_at, ord)
            WHERE r.expected = 0
               OR EXISTS (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.expected)
            ORDER BY r.ord
            ON CONFLICT (stream_id, version) DO NOTHING
            RETURNING event_id
            """;

    /** A stream's events in order; the one parameter is the stream's {@link UUID}. */
    static final String LOAD = """
            SELECT e.event_id, e.version, e.position, e.event_type, e.schema_version, e.payload::text AS payload,
                   e.metadata::text AS metadata, e.occurred_at, e.recorded_at, k.data_key
            FROM events e LEFT JOIN user_keys k ON k.stream_id = e.stream_id
            WHERE e.stream_id = ?
            ORDER BY e.version
            """;

    /**
     * The held ones among some reservations (advisory, see {@link #held(List)}); the parameters are the
     * e-mail keys and the usernames, each a {@code text[]}. One round trip, two primary-key lookups.
     */
    static final String HELD = """
            SELECT 'EMAIL' AS kind, email_key AS key FROM email_reservations WHERE email_key = ANY (?::text[])
            UNION ALL
            SELECT 'USERNAME' AS kind, username AS key FROM username_reservations WHERE username = ANY (?::text[])
            """;

    private final Db db;
    private final SessionConnections sessions;
    private final AppendNotifier notifier;
    private final UserEventCodec codec;
    /**
     * Data keys of recently loaded users, for sealing their next events without a read. Only the write path
     * uses it: every read takes the key from the database, so an erased key is gone for readers at once.
     */
    private final Map<UUID, byte[]> recentKeys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, byte[]> eldest) {
            return size() > RECENT_KEYS;
        }
    };
    private static final int RECENT_KEYS = 10_000;

    private final ReservationKeys reservationKeys;

    /** Commits single-event appends in groups; null when group commit is off. */
    private final GroupCommitter<SingleAppend, AppendOutcome> groupCommitter;

    /** With the development reservation key and group commit on: for tests and local runs. */
    public PostgresUserEventStore(PostgresDatabase database) {
        this(database, ReservationKeys.DEVELOPMENT, GroupCommitSettings.DEFAULTS);
    }

    /** With the development reservation key. */
    public PostgresUserEventStore(PostgresDatabase database, GroupCommitSettings groupCommit) {
        this(database, ReservationKeys.DEVELOPMENT, groupCommit);
    }

    /**
     * @param database        user-service's database: its DbClient, and its notifier that wakes the subscriptions
     * @param reservationKeys how reserved e-mail addresses are stored (keyed hashes)
     * @param groupCommit     whether and how single-event appends are committed in groups
     */
    public PostgresUserEventStore(PostgresDatabase database, ReservationKeys reservationKeys,
                                  GroupCommitSettings groupCommit) {
        this.db = new Db(database.dbClient());
        this.sessions = database.sessionConnections();
        this.notifier = database.appendNotifier();
        this.reservationKeys = java.util.Objects.requireNonNull(reservationKeys, "reservationKeys");
        this.codec = database.codec();
        this.groupCommitter = groupCommit.enabled() ? new GroupCommitter<>(this::appendGroup, groupCommit) : null;
    }

    /**
     * Replaces e-mail reservations stored in plaintext (by versions before keyed hashes) with their keyed
     * hashes, in one transaction; run once at start. Idempotent: a hash contains no {@code @}.
     *
     * @return how many were replaced
     */
    public int hashPlaintextReservations() {
        return db.inTransaction("hash plaintext e-mail reservations", exec -> {
            List<String> plaintext;
            try (var rows = exec.query("SELECT email_key FROM email_reservations WHERE strpos(email_key, '@') > 0")) {
                plaintext = rows.map(row -> Db.text(row, "email_key")).toList();
            }
            for (String key : plaintext) {
                exec.dml("UPDATE email_reservations SET email_key = ? WHERE email_key = ?",
                        reservationKeys.hmac(key), key);
            }
            return plaintext.size();
        });
    }

    /**
     * Plain JDBC, not the DbClient: the load precedes every command on a user the cache does not remember,
     * and the DbClient copied every column of every row with its metadata, at 0.50–0.66 × the throughput
     * of the same statement through JDBC (README, "What the DbClient costs").
     */
    @Override
    public List<RecordedUserEvent> load(UserId userId) {
        return Db.jdbc("load stream " + userId, () -> {
            try (Connection connection = sessions.connection();
                 PreparedStatement statement = connection.prepareStatement(LOAD)) {
                statement.setObject(1, userId.value());
                try (ResultSet rows = statement.executeQuery()) {
                    List<StoredRow> stored = new ArrayList<>();
                    // From this very query, never from the write path's memory: a key erased by another replica
                    // must be gone for this reader too.
                    Optional<byte[]> key = Optional.empty();
                    while (rows.next()) {
                        stored.add(new StoredRow(rows.getObject(1, UUID.class), rows.getLong(2), rows.getLong(3),
                                rows.getString(4), rows.getInt(5), rows.getString(6), rows.getString(7),
                                rows.getTimestamp(8).toInstant(), rows.getTimestamp(9).toInstant()));
                        if (stored.size() == 1) {
                            key = Optional.ofNullable(rows.getBytes(10));
                            remember(userId.value(), key.map(storedKey -> codec.keyWrap().unwrap(storedKey, userId.value())));
                        }
                    }
                    // An erased user's events written before encryption are plaintext: masked all the same.
                    boolean erased = stored.stream().anyMatch(row -> "UserErased".equals(row.eventType()));
                    List<RecordedUserEvent> events = new ArrayList<>();
                    for (StoredRow row : stored) {
                        events.add(new RecordedUserEvent(row.eventId(), row.version(), row.position(),
                                codec.decode(userId, row.eventType(), row.schemaVersion(), row.payload(),
                                        row.occurredAt(), erased ? Optional.empty() : key, erased),
                                codec.metadata(row.metadata()), row.recordedAt()));
                    }
                    return events;
                }
            }
        });
    }

    /** A row of {@link #LOAD}, before decoding. */
    private record StoredRow(UUID eventId, long version, long position, String eventType, int schemaVersion,
                             String payload, String metadata, java.time.Instant occurredAt,
                             java.time.Instant recordedAt) {
    }

    @Override
    public AppendOutcome append(AppendRequest request) {
        if (request.events().size() == 1 && request.reservations().claim().isEmpty()
                && request.reservations().release().isEmpty() && !erases(request)) {
            SingleAppend append = new SingleAppend(request, singleEventParameters(request));
            return groupCommitter == null ? appendOne(append) : groupCommitter.submit(append);
        }
        if (erases(request)) {
            // Sealing needs no key from now on; a stale one must not be used for anything.
            synchronized (recentKeys) {
                recentKeys.remove(request.userId().value());
            }
        }
        UUID stream = request.userId().value();
        // A new user's data key, made here so that it is remembered once, and only once, the append succeeded.
        byte[] newKey = request.events().stream().anyMatch(e -> e.event() instanceof UserEvent.UserCreated)
                ? PersonalDataCipher.newKey() : null;
        Object[] parameters = appendParameters(request, newKey);
        try {
            Optional<Long> newVersion = db.execute("append to stream " + stream, exec -> exec.createGet(APPEND)
                    .params(parameters)
                    .execute()
                    .flatMap(row -> row.column("new_version").asOptional())
                    .map(version -> ((Number) version).longValue()));
            if (newVersion.isEmpty()) {
                // No row appended: the guard saw another version.
                return new AppendOutcome.VersionConflict();
            }
            notifier.appended();
            if (newKey != null) {
                remember(stream, Optional.of(newKey));
            }
            return new AppendOutcome.Appended(newVersion.get());
        } catch (DatabaseException e) {
            return outcomeOfViolation(e, request.reservations().claim()).orElseThrow(() -> e);
        }
    }

    @Override
    public List<Reservation> held(List<Reservation> reservations) {
        if (reservations.isEmpty()) {
            return List.of();
        }
        // The rows hold stored forms (each hashed once here): answer with the reservations asked about.
        Map<String, Reservation> asked = new java.util.HashMap<>();
        List<String> emails = new ArrayList<>();
        List<String> usernames = new ArrayList<>();
        for (Reservation reservation : reservations) {
            String stored = reservationKeys.stored(reservation);
            asked.put(reservation.kind() + ":" + stored, reservation);
            (reservation.kind() == Reservation.Kind.EMAIL ? emails : usernames).add(stored);
        }
        return db.execute("read reservations", exec -> {
            try (var rows = exec.query(HELD, emails.toArray(String[]::new), usernames.toArray(String[]::new))) {
                return rows.map(row -> asked.get(Db.text(row, "kind") + ":" + Db.text(row, "key"))).toList();
            }
        });
    }

    @Override
    public Optional<UserId> holder(Reservation reservation) {
        String sql = reservation.kind() == Reservation.Kind.EMAIL ? HOLDER_OF_EMAIL : HOLDER_OF_USERNAME;
        return db.execute("read the holder of a reservation", exec -> exec.get(sql, reservationKeys.stored(reservation))
                .map(row -> new UserId(Db.uuid(row, "stream_id"))));
    }

    /**
     * Through plain JDBC, as the load: with a statement this cheap, the DbClient's own work (it names every
     * statement by a SHA-256 of its text, and builds its statement objects) is a visible part of the cost.
     * An aborted statement (class 40) is run again, as on the DbClient ({@link Db#jdbc}).
     */
    private AppendOutcome appendOne(SingleAppend append) {
        AppendRequest request = append.request();
        Object[] parameters = append.parameters();
        try {
            int inserted = Db.jdbc("append to stream " + request.userId(), () -> {
                try (Connection connection = sessions.connection();
                     PreparedStatement statement = connection.prepareStatement(APPEND_ONE)) {
                    for (int i = 0; i < parameters.length; i++) {
                        statement.setObject(i + 1, parameters[i]);
                    }
                    return statement.executeUpdate();
                }
            });
            if (inserted == 0) {
                // The guard found no event at the expected version: the stream is behind it (or absent).
                return new AppendOutcome.VersionConflict();
            }
            notifier.appended();
            return new AppendOutcome.Appended(request.expectedVersion() + 1);
        } catch (DatabaseException e) {
            return outcomeOfViolation(e, List.of()).orElseThrow(() -> e);
        }
    }

    /** A request of one event and no reservation change, and its parameters of {@link #APPEND_ONE}. */
    record SingleAppend(AppendRequest request, Object[] parameters) {
    }

    /**
     * Writes a group of single-event appends ({@link GroupCommitter}): one alone as {@link #APPEND_ONE}, the
     * cheapest statement, several as one {@link #APPEND_GROUP}. An aborted statement (class 40) is run again
     * ({@link Db#jdbc}). If the group's statement fails otherwise, nothing of it was written, and the one bad
     * request must not fail the others: unless the database is unavailable (then it is for all of them
     * alike), each request is appended alone again and gets its own outcome or failure.
     */
    private void appendGroup(List<GroupCommitter.Slot<SingleAppend, AppendOutcome>> group) {
        if (group.size() == 1) {
            appendAlone(group.getFirst());
            return;
        }
        List<GroupCommitter.Slot<SingleAppend, AppendOutcome>> rows = new ArrayList<>(group);
        rows.sort(java.util.Comparator.comparing(slot -> slot.request().request().userId().value()));
        int n = rows.size();
        UUID[] eventIds = new UUID[n];
        UUID[] streamIds = new UUID[n];
        Long[] expected = new Long[n];
        String[] eventTypes = new String[n];
        Integer[] schemaVersions = new Integer[n];
        String[] payloads = new String[n];
        String[] metadata = new String[n];
        String[] occurredAt = new String[n];
        for (int i = 0; i < n; i++) {
            AppendRequest request = rows.get(i).request().request();
            Object[] parameters = rows.get(i).request().parameters();
            eventIds[i] = request.events().getFirst().eventId();
            streamIds[i] = request.userId().value();
            expected[i] = request.expectedVersion();
            eventTypes[i] = (String) parameters[4];
            schemaVersions[i] = (Integer) parameters[5];
            payloads[i] = (String) parameters[6];
            metadata[i] = (String) parameters[7];
            occurredAt[i] = (String) parameters[8];
        }
        java.util.Set<UUID> inserted;
        try {
            inserted = Db.jdbc("append to " + n + " streams", () -> {
                try (Connection connection = sessions.connection();
                     PreparedStatement statement = connection.prepareStatement(APPEND_GROUP)) {
                    statement.setString(1, UserEventCodec.STREAM_TYPE);
                    statement.setArray(2, connection.createArrayOf("uuid", eventIds));
                    statement.setArray(3, connection.createArrayOf("uuid", streamIds));
                    statement.setArray(4, connection.createArrayOf("int8", expected));
                    statement.setArray(5, connection.createArrayOf("text", eventTypes));
                    statement.setArray(6, connection.createArrayOf("int4", schemaVersions));
                    statement.setArray(7, connection.createArrayOf("text", payloads));
                    statement.setArray(8, connection.createArrayOf("text", metadata));
                    statement.setArray(9, connection.createArrayOf("text", occurredAt));
                    java.util.Set<UUID> ids = new java.util.HashSet<>();
                    try (ResultSet returned = statement.executeQuery()) {
                        while (returned.next()) {
                            ids.add(returned.getObject(1, UUID.class));
                        }
                    }
                    return ids;
                }
            });
        } catch (StoreUnavailableException e) {
            throw e; // GroupCommitter hands it to every request of the group
        } catch (DatabaseException e) {
            // Nothing written; one request (or more) is bad. Each alone gets its own true outcome.
            rows.forEach(this::appendAlone);
            return;
        }
        if (!inserted.isEmpty()) {
            notifier.appended();
        }
        for (GroupCommitter.Slot<SingleAppend, AppendOutcome> slot : rows) {
            AppendRequest request = slot.request().request();
            slot.complete(inserted.contains(request.events().getFirst().eventId())
                    ? new AppendOutcome.Appended(request.expectedVersion() + 1)
                    : new AppendOutcome.VersionConflict());
        }
    }

    /** Appends one request of a group on its own, giving its slot the outcome or the failure. */
    private void appendAlone(GroupCommitter.Slot<SingleAppend, AppendOutcome> slot) {
        try {
            slot.complete(appendOne(slot.request()));
        } catch (RuntimeException e) {
            slot.fail(e);
        }
    }

    /** Groups of single-event appends committed so far (a lone append is a group of one); 0 when group commit is off. */
    public long groupCommits() {
        return groupCommitter == null ? 0 : groupCommitter.groups();
    }

    /** Appends written by those groups; divided by {@link #groupCommits()}, the mean group size. */
    public long groupCommittedAppends() {
        return groupCommitter == null ? 0 : groupCommitter.grouped();
    }

    /** Single-event appends waiting for a committer now; for tests. */
    int queuedAppends() {
        return groupCommitter == null ? 0 : groupCommitter.queued();
    }

    /**
     * Refuses further appends of one event (they would be group-committed) and fails those queued, nothing
     * of them written; groups being committed finish. The database stays open: its owner closes it.
     */
    @Override
    public void close() {
        if (groupCommitter != null) {
            groupCommitter.close();
        }
    }

    /** The parameters of {@link #APPEND_ONE} for a request of one event and no reservation change. */
    Object[] singleEventParameters(AppendRequest request) {
        NewUserEvent event = request.events().getFirst();
        UserEventCodec.Encoded encoded = codec.encode(event.event(), keyOf(request.userId().value()),
                request.userId().value());
        String streamId = request.userId().value().toString();
        long expected = request.expectedVersion();
        return new Object[] {
                event.eventId().toString(), streamId, UserEventCodec.STREAM_TYPE, expected + 1, encoded.eventType(),
                encoded.schemaVersion(), encoded.payload(), codec.metadataJson(request.metadata()),
                Db.timestamptz(event.event().occurredAt()),
                expected, streamId, expected};
    }

    /**
     * The parameters of {@link #APPEND} for {@code request}, in order. Package-private so that the
     * DbClient-cost benchmark binds exactly these values in its plain-JDBC baseline.
     */
    Object[] appendParameters(AppendRequest request) {
        return appendParameters(request, request.events().stream()
                .anyMatch(e -> e.event() instanceof UserEvent.UserCreated) ? PersonalDataCipher.newKey() : null);
    }

    /** As above, with {@code newKey} the new user's data key (null unless the request creates the user). */
    Object[] appendParameters(AppendRequest request, byte[] newKey) {
        List<NewUserEvent> events = request.events();
        int n = events.size();
        String[] ids = new String[n];
        String[] types = new String[n];
        Integer[] schemaVersions = new Integer[n];
        String[] payloads = new String[n];
        String[] occurredAt = new String[n];
        UUID stream = request.userId().value();
        // A new user gets its data key in the same statement as its UserCreated; other users' events are sealed
        // with theirs (users stored before encryption have none, and keep plaintext).
        Optional<byte[]> key = newKey != null ? Optional.of(newKey) : keyOf(stream);
        for (int i = 0; i < n; i++) {
            UserEventCodec.Encoded encoded = codec.encode(events.get(i).event(), key, stream);
            ids[i] = events.get(i).eventId().toString();
            types[i] = encoded.eventType();
            schemaVersions[i] = encoded.schemaVersion();
            payloads[i] = encoded.payload();
            occurredAt[i] = Db.timestamptz(events.get(i).event().occurredAt());
        }
        List<Reservation> claims = request.reservations().claim();
        List<Reservation> releases = request.reservations().release();
        long expected = request.expectedVersion();
        String streamId = request.userId().value().toString();
        return new Object[] {
                streamId, expected,
                streamId, keys(releases, Reservation.Kind.EMAIL),
                streamId, keys(releases, Reservation.Kind.USERNAME),
                streamId, keys(claims, Reservation.Kind.EMAIL),
                streamId, keys(claims, Reservation.Kind.USERNAME),
                streamId, erases(request),
                streamId, newKey == null ? null : codec.keyWrap().wrap(newKey, stream),
                newKey == null ? null : newKey,
                streamId, UserEventCodec.STREAM_TYPE, expected, codec.metadataJson(request.metadata()),
                ids, types, schemaVersions, payloads, occurredAt};
    }

    /** Whether the append erases the user: its data key is deleted in the same statement as the event. */
    private static boolean erases(AppendRequest request) {
        return request.events().stream().anyMatch(event -> event.event() instanceof UserEvent.UserErased);
    }

    /**
     * The stream's data key for sealing a new event: remembered from its last load (or creation), else read.
     * Empty for a user stored before encryption.
     */
    private Optional<byte[]> keyOf(UUID stream) {
        synchronized (recentKeys) {
            byte[] known = recentKeys.get(stream);
            if (known != null) {
                return Optional.of(known);
            }
        }
        Optional<byte[]> read = db.execute("read the data key of " + stream, exec ->
                exec.get("SELECT data_key FROM user_keys WHERE stream_id = ?::uuid", stream.toString())
                        .map(row -> codec.keyWrap().unwrap(row.column("data_key").get(byte[].class), stream)));
        remember(stream, read);
        return read;
    }

    private void remember(UUID stream, Optional<byte[]> key) {
        key.ifPresent(k -> {
            synchronized (recentKeys) {
                recentKeys.put(stream, k);
            }
        });
    }

    /** A lost race on the stream's version, or a value another stream holds: an outcome, not a failure. */
    private static Optional<AppendOutcome> outcomeOfViolation(DatabaseException e, List<Reservation> claims) {
        if (!PSQLState.UNIQUE_VIOLATION.getState().equals(e.sqlState())) {
            return Optional.empty();
        }
        return switch (e.constraint()) {
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

    /** The stored forms of the reservations of {@code kind}: e-mail addresses as keyed hashes. */
    private String[] keys(List<Reservation> reservations, Reservation.Kind kind) {
        return reservations.stream().filter(r -> r.kind() == kind).map(reservationKeys::stored)
                .toArray(String[]::new);
    }
}
