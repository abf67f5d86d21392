package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;
import io.userstream.application.port.out.LegacyImportLedger;
import io.userstream.domain.user.UserId;

import java.util.Optional;

/** {@link LegacyImportLedger} in user-service's database, table {@code legacy_imports} (migration V8). */
public final class PostgresLegacyImportLedger implements LegacyImportLedger {

    private static final String FIND = """
            SELECT user_id, row_digest, password_digest FROM legacy_imports WHERE source = ? AND legacy_id = ?
            """;
    private static final String RECORD = """
            INSERT INTO legacy_imports (source, legacy_id, user_id, row_digest, password_digest)
            VALUES (?, ?, ?::uuid, ?, ?)
            ON CONFLICT (source, legacy_id) DO UPDATE
               SET user_id = EXCLUDED.user_id, row_digest = EXCLUDED.row_digest,
                   password_digest = EXCLUDED.password_digest, imported_at = clock_timestamp()
            """;

    private final Db db;

    /** @param dbClient the DbClient of user-service's database, e.g. {@link PostgresDatabase#dbClient()} */
    public PostgresLegacyImportLedger(DbClient dbClient) {
        this.db = new Db(dbClient);
    }

    @Override
    public Optional<Entry> find(String source, String legacyId) {
        return db.execute("read the legacy import of " + source + "/" + legacyId, exec -> exec.get(FIND, source, legacyId)
                .map(row -> new Entry(source, legacyId, new UserId(Db.uuid(row, "user_id")),
                        Db.text(row, "row_digest"), Db.text(row, "password_digest"))));
    }

    @Override
    public void record(Entry entry) {
        db.execute("record the legacy import of " + entry.source() + "/" + entry.legacyId(), exec -> exec.dml(RECORD,
                entry.source(), entry.legacyId(), entry.userId().value(), entry.rowDigest(), entry.passwordDigest()));
    }
}
