-- The audit trail cannot be rewritten: the database itself refuses to change or remove a stored event,
-- whoever asks (the service's own role included), so that a bug or a stolen connection cannot rewrite
-- history. Erasure (GDPR) deletes a user's data key, never events.
--
-- A trigger binds every role but a superuser who turns triggers off for a session
-- (SET session_replication_role = replica): that is the documented break-glass for an operator who must
-- repair a stored event by hand. For defence in depth, run the service as a role that does not own
-- `events` (see README, "Security": the owner keeps the table, the service gets SELECT and INSERT), so it
-- cannot drop this trigger either.
CREATE FUNCTION refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on events is refused (the audit trail cannot be rewritten)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_are_immutable
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

CREATE TRIGGER events_are_not_truncated
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
