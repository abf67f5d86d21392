package io.userstream.bootstrap.bench;

import io.helidon.config.Config;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.userstream.adapters.metrics.MeteredUserEventStore;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.support.RecentUsers;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Our side: the real write path in process, no gRPC, wired as {@code UserServiceApp} wires it:
 * {@link UserCommandService} with its cache of recent users ({@link RecentUsers}, the capacity user-service's
 * configuration gives, {@code userstream.commands.cache}) over {@link MeteredUserEventStore} over
 * {@link PostgresUserEventStore} over {@link PostgresDatabase} (its pool, DbClient, append notifier and
 * migrations). One change: password hashing is replaced by a constant hash, called on the caller's thread
 * (Argon2id is slow by design and measured apart), as {@code AppendBenchmark} does. Stream loads go through
 * the event store's {@link UserEventStore#load}.
 */
final class OurWritePath implements AutoCloseable {

    /** Step kinds of the append mix, for the latencies by command. */
    static final int CREATE = 0;
    static final int UPDATE = 1;

    private final PostgresDatabase database;
    private final PostgresUserEventStore store;
    private final UserCommandService service;
    private final String passwordHash;
    private final UuidV7Generator ids = new UuidV7Generator();

    /** The command side's cache capacity, as user-service reads it ({@code UserServiceSettings}). */
    static final int RECENT_USERS = Config.create().get("userstream.commands.cache").asInt()
            .orElse(10_000); // UserServiceSettings.DEFAULT_RECENT_USERS, should user-service.yaml lack the key

    /**
     * Opens (and migrates) our schema with a pool of {@code poolSize} connections plus the one the append
     * notifier keeps, at least 2 (Flyway's migration takes two at once).
     */
    OurWritePath(String url, String user, String schema, int poolSize, String passwordHash) {
        this.database = PostgresDatabase.open(new PostgresSettings(url, user, "", schema, Math.max(2, poolSize + 1),
                Duration.ofSeconds(30)));
        this.store = new PostgresUserEventStore(database);
        this.passwordHash = passwordHash;
        PasswordHash constant = new PasswordHash(passwordHash);
        PasswordHasher noHashing = new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                return constant;
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                return false;
            }
        };
        UserEventStore metered = new MeteredUserEventStore(store, Services.get(MeterRegistry.class));
        this.service = new UserCommandService(metered, noHashing, () -> Instant.now().truncatedTo(ChronoUnit.MICROS),
                ids, new RecentUsers(RECENT_USERS));
    }

    /**
     * A writer thread: CreateUser, then UpdateProfile commands on that user until its stream holds
     * {@link BenchEvents#STREAM_LENGTH} events, then the next user. One event per command.
     */
    Measurement.Worker writer(String tag, int thread) {
        return new Measurement.Worker() {
            private long stream;
            private long version;
            private BenchEvents.StreamUser current;
            private String id;

            @Override
            public int step() {
                CommandContext context = new CommandContext(UUID.randomUUID().toString(), Optional.empty(), "bench");
                if (version == 0) {
                    current = BenchEvents.StreamUser.of(tag, thread, stream);
                    User created = service.createUser(new CreateUserUseCase.CreateUser(current.email(),
                            current.username(), "benchmark-password", current.firstName(), current.lastName(),
                            current.avatarUrl()), context);
                    id = created.id().toString();
                    version = 1;
                    return CREATE;
                }
                long next = version + 1;
                User updated = service.updateProfile(new UpdateProfileUseCase.UpdateProfile(id,
                        Optional.of(BenchEvents.StreamUser.renamed(next)), Optional.empty(), Optional.empty(),
                        OptionalLong.empty()), context);
                if (updated.version() != next) {
                    throw new IllegalStateException("expected version " + next + ", got " + updated.version());
                }
                version = next == BenchEvents.STREAM_LENGTH ? 0 : next;
                if (version == 0) {
                    stream++;
                }
                return UPDATE;
            }
        };
    }

    /**
     * Writes one stream of {@code length} events (the harness's events: UserCreated, then ProfileUpdated)
     * through the event store, 100 events per append, for the load part; returns its user id.
     */
    UUID writeStream(BenchEvents.StreamUser user, int length) {
        UserId id = new UserId(ids.newId());
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<UserEvent> all = new ArrayList<>();
        all.add(new UserEvent.UserCreated(id, new Email(user.email()), new Username(user.username()),
                new PasswordHash(passwordHash), new Profile(user.firstName(), user.lastName(), user.avatarUrl()), now));
        for (int version = 2; version <= length; version++) {
            all.add(new UserEvent.ProfileUpdated(id, new Profile(BenchEvents.StreamUser.renamed(version),
                    user.lastName(), user.avatarUrl()), now));
        }
        for (int from = 0; from < all.size(); from += 100) {
            List<UserEvent> chunk = all.subList(from, Math.min(all.size(), from + 100));
            AppendOutcome outcome = store.append(new AppendRequest(id, from,
                    chunk.stream().map(event -> new NewUserEvent(ids.newId(), event)).toList(),
                    from == 0 ? ReservationChanges.impliedBy(null, chunk) : ReservationChanges.NONE,
                    new EventMetadata(UUID.randomUUID().toString(), Optional.empty(), "bench")));
            if (!(outcome instanceof AppendOutcome.Appended)) {
                throw new IllegalStateException("cannot write a load stream: " + outcome);
            }
        }
        return id.value();
    }

    /** Loads a stream through the event store (decoded events); returns how many events it holds. */
    int load(UUID stream) {
        return store.load(new UserId(stream)).size();
    }

    @Override
    public void close() {
        database.close();
    }
}
