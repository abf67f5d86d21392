-- user-stats-service's own database (userstream_stats), migrated from its own location so that it
-- never shares a table or a migration history with user-service.

-- One row per user: counters and status folded from the user's events. last_event_version is how far
-- the fold got; an event applies only if it is exactly the next version, so a lost or reordered event
-- is noticed (and the row rebuilt from user-service's history) instead of being counted wrongly.
CREATE TABLE user_stats (
    user_id             UUID        PRIMARY KEY,
    status              TEXT        NOT NULL,
    member_since        TIMESTAMPTZ NOT NULL,
    profile_updates     BIGINT      NOT NULL DEFAULT 0,
    email_changes       BIGINT      NOT NULL DEFAULT 0,
    password_changes    BIGINT      NOT NULL DEFAULT 0,
    last_activity_at    TIMESTAMPTZ NOT NULL,
    last_event_version  BIGINT      NOT NULL,
    -- Set when the row was created by repair (on read, or by reconciliation) because the user's events
    -- had not created it: tells an operator how often events go missing, and for whom.
    repaired_at         TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

-- The inbox: the id of every event consumed. The broker delivers at least once, so an event may come
-- again after its effect was committed (a lost ack, a consumer restart); recording the id in the same
-- transaction as the effect makes the second delivery a no-op however the first one ended. Rows are
-- never read by time; processed_at is there for an operator (and for pruning, should it ever be needed).
CREATE TABLE processed_events (
    event_id      UUID        PRIMARY KEY,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
