-- A rebuild fills its shadow table with the indexes a write needs (the primary key, unique ones) and builds
-- the others after the last event is in (see ShadowIndexes): its phase, and how far the index build is, so
-- that ListProjections can tell an operator what the rebuild is doing and how long it has left.
ALTER TABLE subscriptions
    ADD COLUMN rebuild_phase            TEXT,        -- APPLYING_EVENTS or BUILDING_INDEXES while a rebuild runs
    ADD COLUMN rebuild_phase_started_at TIMESTAMPTZ,
    ADD COLUMN rebuild_indexes_built    INT,
    ADD COLUMN rebuild_indexes_total    INT;         -- the deferred indexes, counted when the shadow was created
