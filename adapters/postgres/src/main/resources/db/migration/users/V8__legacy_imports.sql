-- Migration from a legacy CRUD users table (ImportLegacyUser, `userstream migrate`): what the last import of each
-- legacy row took from it, as SHA-256 digests only. The row digest lets an unchanged row be skipped; the password
-- digest tells a new legacy password from a hash rehashed here since (see LegacyImportLedger).
CREATE TABLE legacy_imports (
    source          TEXT        NOT NULL,
    legacy_id       TEXT        NOT NULL,
    user_id         UUID        NOT NULL,
    row_digest      TEXT        NOT NULL,
    password_digest TEXT        NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT legacy_imports_pkey PRIMARY KEY (source, legacy_id)
);
CREATE INDEX legacy_imports_user_id ON legacy_imports (user_id);

-- Digests of an erased user's personal data go with it, in the transaction that records the erasure. The WHEN
-- clause keeps every other append from calling the function at all.
CREATE FUNCTION forget_legacy_import() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM legacy_imports WHERE user_id = NEW.stream_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_forget_legacy_import AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.event_type = 'UserErased') EXECUTE FUNCTION forget_legacy_import();
