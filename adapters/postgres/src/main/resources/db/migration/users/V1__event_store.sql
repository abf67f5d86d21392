-- The event store of user-service: one row per event, append-only.
CREATE TABLE events (
    -- Global order of insertion. Assigned at INSERT, not at COMMIT, so it is NOT safe to tail the
    -- log by position alone: read (transaction_id, position) below the snapshot's xmin instead.
    position        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The inserting transaction; with pg_snapshot_xmin() it tells which rows can no longer be
    -- preceded by a late commit.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        UUID        NOT NULL UNIQUE,
    stream_id       UUID        NOT NULL,
    stream_type     TEXT        NOT NULL,
    version         BIGINT      NOT NULL CHECK (version > 0),
    event_type      TEXT        NOT NULL,
    schema_version  INT         NOT NULL CHECK (schema_version > 0),
    -- {"data": {...}, "personal": {...}}: personal data kept apart so that it can be encrypted
    -- per user (crypto-shredding) without rewriting history.
    payload         JSONB       NOT NULL,
    -- {"correlation_id": ..., "causation_id": ..., "actor": ...}
    metadata        JSONB       NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- Optimistic concurrency's last line of defence: two writers cannot both add version N.
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

-- For subscriptions tailing the log in commit-safe order.
CREATE INDEX events_transaction_position_idx ON events (transaction_id, position);

-- Unique values held by one stream each: e-mail addresses (fully lower-cased) and usernames.
-- Claimed and released in the same statement as the append, so two concurrent registrations with
-- one address cannot both succeed. One table per kind, so the violated constraint names the kind.
CREATE TABLE email_reservations (
    email_key   TEXT        NOT NULL CONSTRAINT email_reservations_pkey PRIMARY KEY,
    stream_id   UUID        NOT NULL,
    reserved_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX email_reservations_stream_idx ON email_reservations (stream_id);

CREATE TABLE username_reservations (
    username    TEXT        NOT NULL CONSTRAINT username_reservations_pkey PRIMARY KEY,
    stream_id   UUID        NOT NULL,
    reserved_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX username_reservations_stream_idx ON username_reservations (stream_id);
