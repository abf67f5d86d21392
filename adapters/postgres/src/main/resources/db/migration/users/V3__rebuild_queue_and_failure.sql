-- A rebuild requested while one runs is queued (it starts when the running one ends) instead of being
-- dropped; a rebuild that could not apply every event is not swapped in, and says why here until the
-- next rebuild starts. Events a rebuild parks are kept under '<subscription>#rebuild' in
-- parked_events, apart from the live subscription's.
ALTER TABLE subscriptions
    ADD COLUMN rebuild_queued BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN rebuild_error  TEXT;
