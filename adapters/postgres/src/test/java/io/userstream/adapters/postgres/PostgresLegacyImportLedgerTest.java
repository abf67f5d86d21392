package io.userstream.adapters.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.ImportLegacyUserUseCase.LegacyUserRow;
import io.userstream.application.port.in.ImportLegacyUserUseCase.Outcome;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.out.LegacyImportLedger;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.service.LegacyImportService;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.UserStatus;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The legacy import's ledger in PostgreSQL, driven through the import use case on the real event store. */
class PostgresLegacyImportLedgerTest {

    static final String BCRYPT = "$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS";
    static final CommandContext CONTEXT = new CommandContext("migrate", Optional.empty(), "migration");
    /** Imports hash nothing; erasure neither. */
    static final PasswordHasher NO_HASHING = new PasswordHasher() {
        @Override
        public PasswordHash hash(PlainPassword password) {
            throw new AssertionError("nothing is hashed here");
        }

        @Override
        public boolean matches(PlainPassword password, PasswordHash hash) {
            throw new AssertionError("nothing is verified here");
        }
    };

    private static TestDatabase db;
    private static PostgresUserEventStore store;
    private static PostgresLegacyImportLedger ledger;
    private static LegacyImportService imports;

    @BeforeAll
    static void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
        ledger = new PostgresLegacyImportLedger(db.database().dbClient());
        imports = new LegacyImportService(store, ledger, NO_HASHING, Instant::now, new UuidV7Generator());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    static LegacyUserRow row(String legacyId, String email, String lastName) {
        return new LegacyUserRow("crm.users", legacyId, email, "u" + legacyId, BCRYPT, "Ada", lastName, null,
                UserStatus.ACTIVE, Instant.parse("2020-01-01T00:00:00Z"));
    }

    @Test
    void an_import_is_remembered_and_replaced_by_the_next_one() {
        String legacyId = unique();
        assertThat(ledger.find("crm.users", legacyId)).isEmpty();

        var created = imports.importLegacyUser(row(legacyId, legacyId + "@example.com", "Lovelace"), CONTEXT);
        LegacyImportLedger.Entry first = ledger.find("crm.users", legacyId).orElseThrow();
        var unchanged = imports.importLegacyUser(row(legacyId, legacyId + "@example.com", "Lovelace"), CONTEXT);
        var updated = imports.importLegacyUser(row(legacyId, legacyId + "@example.com", "King"), CONTEXT);
        LegacyImportLedger.Entry second = ledger.find("crm.users", legacyId).orElseThrow();

        assertThat(created.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(unchanged.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(updated.outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(store.load(created.user().id())).hasSize(2);
        assertThat(first.userId()).isEqualTo(created.user().id());
        assertThat(second.rowDigest()).isNotEqualTo(first.rowDigest());
        assertThat(second.passwordDigest()).isEqualTo(first.passwordDigest());
    }

    @Test
    void erasing_the_user_forgets_its_legacy_digests_in_the_same_transaction() {
        String legacyId = unique();
        var created = imports.importLegacyUser(row(legacyId, legacyId + "@example.com", "Lovelace"), CONTEXT);

        new UserCommandService(store, NO_HASHING, Instant::now, new UuidV7Generator())
                .eraseUser(new UserCommand(created.user().id().toString(), OptionalLong.empty()), CONTEXT);

        assertThat(ledger.find("crm.users", legacyId)).isEmpty();
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
