package io.userstream.application.service;

import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.ImportLegacyUserUseCase;
import io.userstream.application.port.out.IdGenerator;
import io.userstream.application.port.out.LegacyImportLedger;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.InvalidValueException;
import io.userstream.domain.user.LegacyUser;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.Username;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Imports legacy rows as users' events and follows their later changes ({@link ImportLegacyUserUseCase}).
 *
 * <p>A row is identified by its source and legacy id, which also give the user id, so every run lands on the same
 * stream. The ledger tells whether the row changed since it was last imported; when it did, the user is loaded and
 * {@link User#reconcile} decides the events, appended with the stream's version as the guard, like any command.
 * The ledger is written after the append: if that write is lost, the next run decides on the user's state and finds
 * nothing to record, so an import never records a change twice.
 */
public final class LegacyImportService implements ImportLegacyUserUseCase {

    /** Spring Security's DelegatingPasswordEncoder prefixes a hash with its scheme, e.g. {@code {bcrypt}$2a$…}. */
    private static final Pattern SPRING_PREFIX = Pattern.compile("^\\{[a-z0-9_-]+}(?=\\$)");

    private final UserEventStore eventStore;
    private final LegacyImportLedger ledger;
    private final PasswordHasher passwordHasher;
    private final TimeSource clock;
    private final IdGenerator ids;

    /** @param passwordHasher asked only whether it can verify a carried-over hash; nothing is hashed here */
    public LegacyImportService(UserEventStore eventStore, LegacyImportLedger ledger, PasswordHasher passwordHasher,
                               TimeSource clock, IdGenerator ids) {
        this.eventStore = eventStore;
        this.ledger = ledger;
        this.passwordHasher = passwordHasher;
        this.clock = clock;
        this.ids = ids;
    }

    @Override
    public ImportResult importLegacyUser(LegacyUserRow row, CommandContext context) {
        LegacyUser legacy = parse(row);
        LegacyImportLedger.Entry taken = new LegacyImportLedger.Entry(row.source(), row.legacyId(), legacy.id(),
                rowDigest(legacy), sha256(legacy.passwordHash().encoded()));
        Optional<LegacyImportLedger.Entry> last = ledger.find(row.source(), row.legacyId());
        boolean verifiable = passwordHasher.canVerify(legacy.passwordHash());
        for (int attempt = 1; attempt <= UserCommandService.MAX_ATTEMPTS; attempt++) {
            List<RecordedUserEvent> history = eventStore.load(legacy.id());
            if (history.isEmpty()) {
                List<UserEvent> events = User.importLegacy(legacy, clock.now());
                if (append(legacy.id(), 0, null, events, context)) {
                    ledger.record(taken);
                    return new ImportResult(Outcome.CREATED, User.fromHistory(events), events.size(), verifiable);
                }
                continue;
            }
            User current = User.fromHistory(history.stream().map(RecordedUserEvent::event).toList());
            if (last.isPresent() && last.get().rowDigest().equals(taken.rowDigest())) {
                return new ImportResult(Outcome.UNCHANGED, current, 0, verifiable);
            }
            // Without a ledger entry, only a hash that differs from the stored one is news.
            boolean passwordChanged = last.map(entry -> !entry.passwordDigest().equals(taken.passwordDigest()))
                    .orElse(true);
            List<UserEvent> events = current.reconcile(legacy, passwordChanged, clock.now());
            if (events.isEmpty()) {
                ledger.record(taken);
                return new ImportResult(Outcome.UNCHANGED, current, 0, verifiable);
            }
            if (append(legacy.id(), current.version(), current, events, context)) {
                ledger.record(taken);
                return new ImportResult(Outcome.UPDATED, current.evolve(events), events.size(), verifiable);
            }
        }
        throw new UserRejectedException(new UserRejection.ConcurrencyConflict(legacy.id(),
                UserCommandService.MAX_ATTEMPTS));
    }

    /** The user id of a legacy row: its id if that is a UUID, else a name-based UUID of source and id. */
    public static UserId userIdOf(String source, String legacyId) {
        try {
            return new UserId(UUID.fromString(legacyId.strip()));
        } catch (IllegalArgumentException notAUuid) {
            return new UserId(UUID.nameUUIDFromBytes(("userstream:legacy:" + source + ":" + legacyId.strip())
                    .getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static LegacyUser parse(LegacyUserRow row) {
        FieldViolations violations = new FieldViolations();
        if (row.source() == null || row.source().isBlank()) {
            violations.add("source", "must name the legacy table");
        }
        if (row.legacyId() == null || row.legacyId().isBlank()) {
            violations.add("legacy_id", "must not be empty");
        }
        Email email = violations.check("email", () -> Email.parse(row.email()));
        Username username = violations.check("username", () -> Username.parse(row.username()));
        PasswordHash hash = violations.check("password_hash", () -> parseHash(row.passwordHash()));
        String firstName = violations.check("first_name", () -> Profile.parseName(row.firstName()));
        String lastName = violations.check("last_name", () -> Profile.parseName(row.lastName()));
        String avatarUrl = violations.check("avatar_url", () -> Profile.parseAvatarUrl(row.avatarUrl()));
        if (row.status() == null) {
            violations.add("status", "must be ACTIVE, INACTIVE or DELETED");
        }
        violations.throwIfAny();
        return new LegacyUser(userIdOf(row.source(), row.legacyId()), email, username, hash,
                new Profile(firstName, lastName, avatarUrl), row.status(), row.createdAt());
    }

    private static PasswordHash parseHash(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidValueException("must not be empty: a user without a password cannot be imported");
        }
        String hash = SPRING_PREFIX.matcher(raw.strip()).replaceFirst("");
        if (!hash.startsWith("$") || hash.length() > 1024) {
            throw new InvalidValueException("must be a password hash in PHC or modular crypt format ($scheme$…)");
        }
        return new PasswordHash(hash);
    }

    private static String rowDigest(LegacyUser legacy) {
        // Unit separators keep field boundaries: ("ab", "c") and ("a", "bc") must differ.
        return sha256(String.join("\u001f", legacy.email().value(), legacy.username().value(),
                legacy.passwordHash().encoded(), legacy.profile().firstName(), legacy.profile().lastName(),
                legacy.profile().avatarUrl(), legacy.status().name(), String.valueOf(legacy.createdAt())));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private boolean append(UserId id, long expectedVersion, User before, List<UserEvent> events, CommandContext context) {
        return UserCommandService.append(eventStore, ids, id, expectedVersion, before, events, context);
    }
}
