-- Read side: subscriptions that tail the event log, their parked (dead-lettered) events, and the
-- user read model kept by the "user_read_model" projection.

-- Wake subscribers as soon as events commit (NOTIFY is delivered at commit, never before);
-- they also poll, so a lost notification only delays them.
CREATE FUNCTION notify_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('userstream_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER events_appended AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_appended();

-- One row per named subscription. The checkpoint is the (transaction_id, position) of the last
-- event handled: the log is read in that order and only below the transaction horizon, so an
-- event committed late by a long transaction is never skipped.
CREATE TABLE subscriptions (
    name                         TEXT        PRIMARY KEY,
    checkpoint_transaction_id    xid8        NOT NULL DEFAULT '0',
    checkpoint_position          BIGINT      NOT NULL DEFAULT 0,
    state                        TEXT        NOT NULL DEFAULT 'STOPPED',
    last_error                   TEXT,
    -- Rebuild into a shadow table: requested by an operator, progressed by the active instance.
    rebuild_requested_at         TIMESTAMPTZ,
    rebuild_started_at           TIMESTAMPTZ,
    rebuild_transaction_id       xid8,
    rebuild_position             BIGINT,
    rebuild_done                 BIGINT,
    rebuild_total                BIGINT,
    updated_at                   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- Events a subscription could not handle after its retries: kept with the error, never skipped silently.
CREATE TABLE parked_events (
    subscription   TEXT        NOT NULL,
    position       BIGINT      NOT NULL,
    event_id       UUID        NOT NULL,
    error          TEXT        NOT NULL,
    attempts       INT         NOT NULL,
    parked_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (subscription, position)
);

-- The guide's read model plus version (the user's stream version it reflects). No UNIQUE on
-- email/username here: uniqueness is the write side's job (reservations), and a deleted user's row
-- keeps the address a newer user may now hold.
CREATE TABLE user_read_model (
    id            UUID        PRIMARY KEY,
    email         TEXT        NOT NULL,
    username      TEXT        NOT NULL,
    first_name    TEXT        NOT NULL DEFAULT '',
    last_name     TEXT        NOT NULL DEFAULT '',
    avatar_url    TEXT        NOT NULL DEFAULT '',
    status        TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_updated  TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ,
    version       BIGINT      NOT NULL
);
CREATE INDEX user_read_model_email_idx ON user_read_model (lower(email));
CREATE INDEX user_read_model_username_idx ON user_read_model (username);
CREATE INDEX user_read_model_status_id_idx ON user_read_model (status, id);
