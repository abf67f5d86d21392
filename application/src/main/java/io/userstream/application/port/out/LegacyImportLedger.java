package io.userstream.application.port.out;

import io.userstream.domain.user.UserId;

import java.util.Optional;

/**
 * Remembers, per legacy row, what the last import took from it, as digests only: whether the row changed at all
 * since (so an unchanged row costs no stream load), and whether its password hash did (so a hash that a password
 * check rehashed to Argon2id since is not put back to the legacy one).
 */
public interface LegacyImportLedger {

    /** The last import of this row, if any. */
    Optional<Entry> find(String source, String legacyId);

    /** Records (or replaces) what an import of this row took. */
    void record(Entry entry);

    /**
     * @param rowDigest      hex SHA-256 of every imported field of the row
     * @param passwordDigest hex SHA-256 of the row's password hash
     */
    record Entry(String source, String legacyId, UserId userId, String rowDigest, String passwordDigest) {
    }
}
