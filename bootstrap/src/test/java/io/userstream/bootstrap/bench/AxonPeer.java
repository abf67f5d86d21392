package io.userstream.bootstrap.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.userstream.application.support.UuidV7Generator;
import org.axonframework.common.jdbc.DataSourceConnectionProvider;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.json.JacksonSerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The peer: Axon Framework 4.12's {@link JdbcEventStorageEngine} on the same PostgreSQL, in a schema of its
 * own, with its PostgreSQL table ({@link PostgresEventTableFactory}: payload and metadata as {@code bytea})
 * and its {@link JacksonSerializer}. The payloads are {@link BenchEvents}' records, which serialize to the
 * same JSON as ours. Configured at its cheapest for one event per command: a HikariCP pool of autocommitted
 * connections and {@link NoTransactionManager}, so that {@code appendEvents} of one event is one
 * {@code INSERT} and its commit (a Spring or JTA transaction manager would add a round trip).
 *
 * <p>A writer appends one {@link DomainEventMessage} per "command", with the aggregate's next sequence
 * number (0-based, Axon's convention), to the same streams as ours; a load is
 * {@code readEvents(aggregateId)} with every payload and metadata deserialized.
 */
final class AxonPeer implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final JdbcEventStorageEngine engine;
    private final String passwordHash;
    private final UuidV7Generator ids = new UuidV7Generator();

    /** A pool of {@code poolSize} connections to {@code schema}. */
    AxonPeer(String url, String user, String schema, int poolSize, String passwordHash) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword("");
        config.setSchema(schema);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("bench-axon");
        config.addDataSourceProperty("ApplicationName", "userstream-bench-axon");
        this.dataSource = new HikariDataSource(config);
        this.engine = engine(dataSource);
        this.passwordHash = passwordHash;
    }

    /** Axon's JacksonSerializer with Java time support (its documented set-up). */
    static JacksonSerializer serializer() {
        return JacksonSerializer.builder().objectMapper(new ObjectMapper().registerModule(new JavaTimeModule()))
                .build();
    }

    static JdbcEventStorageEngine engine(javax.sql.DataSource dataSource) {
        JacksonSerializer serializer = serializer();
        return JdbcEventStorageEngine.builder()
                .connectionProvider(new DataSourceConnectionProvider(dataSource))
                .transactionManager(NoTransactionManager.INSTANCE)
                .eventSerializer(serializer)
                .snapshotSerializer(serializer)
                .build();
    }

    /** Creates Axon's tables (its own DDL for PostgreSQL) in this peer's schema. */
    void createSchema() {
        engine.createSchema(PostgresEventTableFactory.INSTANCE);
    }

    JdbcEventStorageEngine engine() {
        return engine;
    }

    /** A writer thread: one appendEvents of one event per step, the same events as ours. */
    Measurement.Worker writer(String tag, int thread) {
        return new Measurement.Worker() {
            private long stream;
            private long version;
            private BenchEvents.StreamUser current;
            private String id;

            @Override
            public int step() {
                long next = version + 1;
                if (next == 1) {
                    current = BenchEvents.StreamUser.of(tag, thread, stream);
                    id = ids.newId().toString();
                }
                engine.appendEvents(message(id, next, current));
                version = next == BenchEvents.STREAM_LENGTH ? 0 : next;
                if (version == 0) {
                    stream++;
                }
                return next == 1 ? 0 : 1;
            }
        };
    }

    private DomainEventMessage<?> message(String aggregate, long version, BenchEvents.StreamUser user) {
        Object payload = version == 1 ? user.created(passwordHash) : user.updated(version);
        return new GenericDomainEventMessage<>("User", aggregate, version - 1, payload,
                MetaData.with("correlation_id", UUID.randomUUID().toString()).and("actor", "bench"));
    }

    /** Writes one stream of {@code length} events, 100 per appendEvents, for the load part. */
    String writeStream(BenchEvents.StreamUser user, int length) {
        String id = ids.newId().toString();
        List<DomainEventMessage<?>> batch = new ArrayList<>();
        for (long version = 1; version <= length; version++) {
            batch.add(message(id, version, user));
            if (batch.size() == 100 || version == length) {
                engine.appendEvents(batch);
                batch.clear();
            }
        }
        return id;
    }

    /** A loader thread: readEvents of the next stream, every payload and metadata deserialized. */
    Measurement.Worker loader(String[] streams, int expected) {
        return new Measurement.Worker() {
            private int next;

            @Override
            public int step() {
                DomainEventStream events = engine.readEvents(streams[next++ % streams.length]);
                int count = 0;
                while (events.hasNext()) {
                    DomainEventMessage<?> event = events.next();
                    event.getPayload();
                    event.getMetaData();
                    count++;
                }
                if (count != expected) {
                    throw new IllegalStateException("read " + count + " events, expected " + expected);
                }
                return 0;
            }
        };
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
