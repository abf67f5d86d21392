-- Crypto-shredding: each user's personal data (e-mail, names, avatar) is stored in its events encrypted
-- with a data key of the user's own (AES-256-GCM, see PersonalDataCipher). Erasing the user deletes the key;
-- the events stay, immutable, but their personal part can no longer be read by anyone. A key is created in
-- the same statement as its user's UserCreated event.
CREATE TABLE user_keys (
    stream_id  UUID        NOT NULL CONSTRAINT user_keys_pkey PRIMARY KEY,
    data_key   BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
