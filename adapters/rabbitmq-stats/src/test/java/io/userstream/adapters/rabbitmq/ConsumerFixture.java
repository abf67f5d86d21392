package io.userstream.adapters.rabbitmq;

import com.google.protobuf.Timestamp;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.userstream.adapters.postgres.PostgresPool;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.PostgresUserStatsStore;
import io.userstream.application.port.in.ConsumeUserActivityUseCase;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.service.UserStatsService;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.UserActivity;
import io.userstream.proto.events.v1.EmailChanged;
import io.userstream.proto.events.v1.PasswordChanged;
import io.userstream.proto.events.v1.ProfileUpdated;
import io.userstream.proto.events.v1.UserActivated;
import io.userstream.proto.events.v1.UserCreated;
import io.userstream.proto.events.v1.UserDeactivated;
import io.userstream.proto.events.v1.UserDeleted;

import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The consumer wired as user-stats-service wires it, on queues and a PostgreSQL schema of its own: the
 * real RabbitMQ ({@code userstream_test} vhost) and the real stats store, user-service played by an
 * in-memory {@link UserDirectory}. For the consumer test and the throughput benchmark.
 */
final class ConsumerFixture implements AutoCloseable {

    static final RabbitSettings RABBIT = new RabbitSettings("127.0.0.1", 5672, "guest", "guest", "userstream_test",
            Duration.ofSeconds(30));
    static final String DB_URL = env("USERSTREAM_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/userstream_test");
    static final String DB_USER = env("USERSTREAM_TEST_DB_USER", "postgres");
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final Topology.StatsNames names = new Topology.StatsNames("test.events." + id, "test.stats." + id,
            "test.stats.dlx." + id, "test.stats.dlq." + id);
    final String schema = "consumer_" + id;
    final PostgresPool database;
    final PostgresUserStatsStore store;
    final Directory directory = new Directory();
    final CountingObserver observer = new CountingObserver();
    final CountingUseCase useCase;
    final Connection connection;
    final Channel admin;
    RabbitUserActivityConsumer consumer;

    ConsumerFixture() throws Exception {
        database = PostgresPool.open(new PostgresSettings(DB_URL, DB_USER, "", schema, 8, Duration.ofSeconds(10)),
                "classpath:db/migration/stats", "consumer-test-" + id);
        store = new PostgresUserStatsStore(database.dbClient());
        useCase = new CountingUseCase(new UserStatsService(store, directory,
                () -> Instant.now().truncatedTo(ChronoUnit.MICROS), observer));
        connection = Connections.factory(RABBIT).newConnection("consumer test");
        admin = connection.createChannel();
        Topology.declareStatsQueues(admin, true, names);
    }

    /** Starts the consumer and waits until it consumes. */
    RabbitUserActivityConsumer start(RabbitUserActivityConsumer.Batching batching, int maxDeliveries) {
        return start(batching, maxDeliveries, RABBIT);
    }

    /** Starts the consumer on a broker address of the test's (a proxy's) and waits until it consumes. */
    RabbitUserActivityConsumer start(RabbitUserActivityConsumer.Batching batching, int maxDeliveries,
                                     RabbitSettings rabbit) {
        consumer = new RabbitUserActivityConsumer(rabbit, useCase, observer, maxDeliveries, batching, names);
        consumer.start();
        await("the consumer consumes", Duration.ofSeconds(30), consumer::isConsuming);
        return consumer;
    }

    void publish(UserActivity activity) throws Exception {
        byte[] body = message(activity).toByteArray();
        publishRaw(activity.eventId().toString(), body);
    }

    void publishRaw(String messageId, byte[] body) throws Exception {
        admin.basicPublish(names.exchange(), "user.test", new AMQP.BasicProperties.Builder().deliveryMode(2)
                .messageId(messageId).contentType(UserActivityMessages.CONTENT_TYPE).build(), body);
    }

    static io.userstream.proto.events.v1.UserEvent message(UserActivity activity) {
        io.userstream.proto.events.v1.UserEvent.Builder message = io.userstream.proto.events.v1.UserEvent.newBuilder()
                .setEventId(activity.eventId().toString())
                .setUserId(activity.userId().toString())
                .setStreamVersion(activity.version())
                .setOccurredAt(Timestamp.newBuilder().setSeconds(activity.occurredAt().getEpochSecond())
                        .setNanos(activity.occurredAt().getNano()))
                .setEventType("user.test");
        switch (activity.type()) {
            case CREATED -> message.setCreated(UserCreated.newBuilder().setUsername("u" + activity.userId()));
            case EMAIL_CHANGED -> message.setEmailChanged(EmailChanged.getDefaultInstance());
            case PASSWORD_CHANGED -> message.setPasswordChanged(PasswordChanged.getDefaultInstance());
            case PROFILE_UPDATED -> message.setProfileUpdated(ProfileUpdated.getDefaultInstance());
            case ACTIVATED -> message.setActivated(UserActivated.getDefaultInstance());
            case DEACTIVATED -> message.setDeactivated(UserDeactivated.getDefaultInstance());
            case DELETED -> message.setDeleted(UserDeleted.getDefaultInstance());
        }
        return message.build();
    }

    /** A user's history: CREATED, then {@code changes} random changes, one second apart; recorded in the directory. */
    List<UserActivity> newUser(int changes, java.util.Random random) {
        ActivityType[] types = {ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED, ActivityType.PASSWORD_CHANGED,
                ActivityType.DEACTIVATED, ActivityType.ACTIVATED, ActivityType.PROFILE_UPDATED};
        UUID user = UUID.randomUUID();
        List<UserActivity> history = new ArrayList<>();
        history.add(new UserActivity(UUID.randomUUID(), user, 1, T0, ActivityType.CREATED));
        for (int i = 0; i < changes; i++) {
            history.add(new UserActivity(UUID.randomUUID(), user, i + 2, T0.plusSeconds(i + 1),
                    types[random.nextInt(types.length)]));
        }
        directory.histories.put(user, List.copyOf(history));
        return history;
    }

    /** Event ids in the inbox ({@code processed_events}) of the fixture's schema. */
    long inboxSize() {
        try (java.sql.Connection sql = DriverManager.getConnection(DB_URL, DB_USER, "");
             Statement statement = sql.createStatement();
             java.sql.ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + schema + ".processed_events")) {
            rows.next();
            return rows.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** Publishes the users' histories interleaved at random, each user's events in order; returns them as published. */
    List<UserActivity> publishInterleaved(List<List<UserActivity>> users, java.util.Random random) throws Exception {
        List<UserActivity> published = new ArrayList<>();
        int[] next = new int[users.size()];
        List<Integer> open = new ArrayList<>();
        for (int u = 0; u < users.size(); u++) {
            open.add(u);
        }
        while (!open.isEmpty()) {
            int pick = random.nextInt(open.size());
            int u = open.get(pick);
            published.add(users.get(u).get(next[u]++));
            if (next[u] == users.get(u).size()) {
                java.util.Collections.swap(open, pick, open.size() - 1);
                open.removeLast();
            }
        }
        admin.confirmSelect();
        for (UserActivity event : published) {
            publish(event);
        }
        admin.waitForConfirmsOrDie(60_000);
        return published;
    }

    long messageCount(String queue) {
        try {
            return admin.messageCount(queue);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (consumer != null) {
                consumer.close();
            }
            admin.queueDelete(names.queue());
            admin.queueDelete(names.dlq());
            admin.exchangeDelete(names.exchange());
            admin.exchangeDelete(names.dlx());
            connection.close();
        } finally {
            database.close();
            try (java.sql.Connection sql = DriverManager.getConnection(DB_URL, DB_USER, "");
                 Statement statement = sql.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** user-service as stats see it: the histories the test recorded. */
    static final class Directory implements UserDirectory {
        final Map<UUID, List<UserActivity>> histories = new ConcurrentHashMap<>();

        @Override
        public Optional<List<UserActivity>> history(UUID userId) {
            return Optional.ofNullable(histories.get(userId));
        }

        @Override
        public DirectoryPage listUserIds(String pageToken, int pageSize) {
            return new DirectoryPage(List.of(), "");
        }
    }

    /** Counts what the stats service reports, per result. */
    static final class CountingObserver implements StatsObserver {
        final Map<ConsumeResult, AtomicLong> consumed = new EnumMap<>(ConsumeResult.class);
        final AtomicInteger deadLettered = new AtomicInteger();
        final AtomicLong total = new AtomicLong();

        CountingObserver() {
            for (ConsumeResult result : ConsumeResult.values()) {
                consumed.put(result, new AtomicLong());
            }
        }

        @Override
        public void consumed(ConsumeResult result) {
            consumed.get(result).incrementAndGet();
            total.incrementAndGet();
        }

        @Override
        public void deadLettered() {
            deadLettered.incrementAndGet();
        }

        @Override
        public void repaired(RepairOutcome outcome) {
        }

        long count(ConsumeResult result) {
            return consumed.get(result).get();
        }
    }

    /** The use case, counting how the consumer calls it. */
    static final class CountingUseCase implements ConsumeUserActivityUseCase {
        final ConsumeUserActivityUseCase delegate;
        final AtomicInteger singles = new AtomicInteger();
        final AtomicInteger batches = new AtomicInteger();
        /** How long each batch takes longer than it does: to slow the consumer down for a test. */
        volatile Duration batchDelay = Duration.ZERO;

        CountingUseCase(ConsumeUserActivityUseCase delegate) {
            this.delegate = delegate;
        }

        @Override
        public ConsumeResult consume(UserActivity activity) {
            singles.incrementAndGet();
            return delegate.consume(activity);
        }

        @Override
        public List<ConsumeResult> consumeAll(List<UserActivity> activities) {
            batches.incrementAndGet();
            Duration delay = batchDelay;
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return delegate.consumeAll(activities);
        }
    }
}
