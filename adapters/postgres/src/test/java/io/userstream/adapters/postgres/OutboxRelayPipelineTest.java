package io.userstream.adapters.postgres;

import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbox relay's pipelining against the real PostgreSQL, with a publisher whose confirms the test hands
 * out itself: the next batch is published while earlier ones wait for theirs, and the checkpoint moves past a
 * batch only once it and every earlier batch are confirmed. (The real broker's side: the Rabbit adapter's
 * tests and the end-to-end tests across a broker restart.)
 */
class OutboxRelayPipelineTest {

    private static final String RELAY = OutboxRelay.NAME;

    private TestDatabase db;
    private PostgresUserEventStore store;
    private PostgresProjections projections;
    private final HeldPublisher publisher = new HeldPublisher();

    @BeforeEach
    void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
    }

    @AfterEach
    void close() throws Exception {
        if (projections != null) {
            projections.close();
        }
        db.close();
    }

    /** Starts the relay (a short poll: a runner waiting for one does not notice close() before it ends). */
    private void start(SubscriptionSettings settings) {
        projections = new PostgresProjections(db.database(), settings, ProjectionObserver.NONE,
                List.of(new OutboxRelay(publisher)));
        projections.start();
    }

    @Test
    void the_next_batch_is_published_before_the_previous_is_confirmed_and_the_checkpoint_moves_in_order()
            throws Exception {
        start(SubscriptionRunnerTest.FAST);
        UUID a = append();
        publisher.awaitBatches(1);
        UUID b = append();
        // Published while batch 1 still waits for its confirm: the relay did not wait for it.
        publisher.awaitBatches(2);
        assertThat(publisher.batch(0)).containsExactly(a);
        assertThat(publisher.batch(1)).containsExactly(b);

        publisher.confirm(1);
        UUID c = append();
        // Batch 3 is published after the relay saw batch 2 confirmed: it had its chance to move the checkpoint.
        publisher.awaitBatches(3);
        assertThat(publisher.batch(2)).containsExactly(c);
        assertThat(eventsPassed()).as("batch 1 is not confirmed: the checkpoint stays before it").isZero();

        publisher.confirm(0);
        Eventually.await("the checkpoint passes batches 1 and 2 (confirmed), not 3", Duration.ofSeconds(10),
                () -> eventsPassed() == 2);
        publisher.confirm(2);
        Eventually.await("the checkpoint passes batch 3", Duration.ofSeconds(10), () -> eventsPassed() == 3);
        assertThat(publisher.batchCount()).as("nothing was published twice").isEqualTo(3);
    }

    @Test
    void a_failed_batch_fails_every_later_one_the_checkpoint_stays_before_it_and_all_are_published_again()
            throws Exception {
        start(SubscriptionRunnerTest.FAST);
        UUID a = append();
        publisher.awaitBatches(1);
        UUID b = append();
        publisher.awaitBatches(2);

        // Batch 2 is confirmed, then batch 1 is refused (a nack, a returned message, a lost channel).
        publisher.confirm(1);
        publisher.confirmFromNowOn();
        publisher.fail(0);

        Eventually.await("both events are published again and the checkpoint passes them", Duration.ofSeconds(10),
                () -> eventsPassed() == 2);
        List<UUID> again = publisher.publishedFrom(2);
        assertThat(again).as("published again from batch 1 on, in log order").containsExactly(a, b);
        assertThat(projections.statuses().getFirst().state().name()).isEqualTo("RUNNING");
    }

    @Test
    void no_more_than_the_in_flight_limit_is_published_unconfirmed() throws Exception {
        start(new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200), 3, Duration.ofMillis(10),
                SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE, 2));
        append();
        publisher.awaitBatches(1);
        append();
        publisher.awaitBatches(2);
        UUID third = append();
        UUID fourth = append();

        // Two events are in flight: the third waits until the first is confirmed, and then goes with the fourth.
        publisher.confirm(0);
        publisher.awaitBatches(3);
        assertThat(publisher.batch(2)).containsExactly(third);
        publisher.confirm(1);
        publisher.awaitBatches(4);
        assertThat(publisher.batch(3)).containsExactly(fourth);
        publisher.confirm(2);
        publisher.confirm(3);
        Eventually.await("the checkpoint passes all four", Duration.ofSeconds(10), () -> eventsPassed() == 4);
    }

    @Test
    void an_event_that_cannot_be_decoded_is_parked_only_from_a_confirmed_checkpoint() throws Exception {
        start(SubscriptionRunnerTest.FAST);
        UUID a = append();
        publisher.awaitBatches(1);
        UUID broken = appendUndecodable();
        UUID c = append();

        // Parking moves the checkpoint past the broken event, so it must wait for batch 1's confirm. Nothing
        // shows that the relay has met the broken event and waits, so this watches, for ten times what its
        // attempts take (3, 10 ms back-off doubling), that it neither parks it nor publishes what follows it.
        long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < until) {
            assertThat(projections.parkedEvents(Optional.of(RELAY))).as("parked while batch 1 is unconfirmed").isEmpty();
            assertThat(publisher.batchCount()).as("published past the broken event").isEqualTo(1);
            Thread.sleep(20);   // pacing the look, as Eventually does
        }
        // Batch 1 fails: had the broken event been parked meanwhile, batch 1 would not be published again.
        publisher.confirmFromNowOn();
        publisher.fail(0);
        Eventually.await("the broken event is parked and the checkpoint passes all three", Duration.ofSeconds(20),
                () -> eventsPassed() == 3);
        assertThat(projections.parkedEvents(Optional.of(RELAY))).singleElement()
                .satisfies(parked -> assertThat(parked.eventId()).isEqualTo(broken));
        assertThat(publisher.publishedFrom(1)).as("batch 1 again, then what follows the parked event")
                .containsExactly(a, c);
    }

    /** How many events of the log the relay's committed checkpoint has passed. */
    private long eventsPassed() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("""
                     SELECT count(*) FROM events e JOIN subscriptions s ON s.name = '%s'
                     WHERE (e.transaction_id, e.position) <= (s.checkpoint_transaction_id, s.checkpoint_position)
                     """.formatted(RELAY))) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private UUID append() {
        UserId id = new UserId(UUID.randomUUID());
        UUID eventId = UUID.randomUUID();
        String name = "u" + id.value().toString().substring(0, 8);
        UserEvent created = new UserEvent.UserCreated(id, Email.parse(name + "@example.com"), Username.parse(name),
                new PasswordHash("$argon2id$test"), Profile.EMPTY, Instant.now().truncatedTo(ChronoUnit.MICROS));
        store.append(new AppendRequest(id, 0, List.of(new NewUserEvent(eventId, created)), ReservationChanges.NONE,
                new EventMetadata("test", Optional.empty(), "test")));
        return eventId;
    }

    /** Appends an event whose payload lacks what its type needs: it cannot be decoded. */
    private UUID appendUndecodable() throws SQLException {
        UUID eventId = UUID.randomUUID();
        try (Connection connection = db.rawConnection(); PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                    metadata, occurred_at)
                VALUES (?, ?, 'user', 1, 'UserCreated', 1, '{"data":{},"personal":{}}',
                        '{"correlation_id":"t","actor":"t"}', now())
                """)) {
            insert.setObject(1, eventId);
            insert.setObject(2, UUID.randomUUID());
            insert.executeUpdate();
        }
        return eventId;
    }

    /**
     * Records each batch it is handed and leaves its confirm to the test ({@link #confirm}, {@link #fail}), or,
     * after {@link #confirmFromNowOn}, confirms at once.
     */
    private static final class HeldPublisher implements IntegrationEventPublisher {
        private final List<List<UUID>> batches = new ArrayList<>();
        private final List<CompletableFuture<Void>> confirms = new ArrayList<>();
        private boolean confirmAtOnce;

        @Override
        public void publish(List<RecordedUserEvent> events) {
            publishAsync(events).toCompletableFuture().join();
        }

        @Override
        public synchronized CompletionStage<Void> publishAsync(List<RecordedUserEvent> events) {
            batches.add(events.stream().map(RecordedUserEvent::eventId).toList());
            CompletableFuture<Void> confirm = confirmAtOnce ? CompletableFuture.completedFuture(null)
                    : new CompletableFuture<>();
            confirms.add(confirm);
            return confirm;
        }

        synchronized int batchCount() {
            return batches.size();
        }

        synchronized List<UUID> batch(int index) {
            return batches.get(index);
        }

        /** Every event id published in batch {@code from} and later, in publish order. */
        synchronized List<UUID> publishedFrom(int from) {
            return batches.subList(from, batches.size()).stream().flatMap(List::stream).toList();
        }

        void awaitBatches(int count) {
            Eventually.await(count + " batches published", Duration.ofSeconds(10), () -> batchCount() >= count);
        }

        synchronized void confirm(int index) {
            confirms.get(index).complete(null);
        }

        synchronized void fail(int index) {
            confirms.get(index).completeExceptionally(new IllegalStateException("RabbitMQ refused (nacked) the batch"));
        }

        synchronized void confirmFromNowOn() {
            confirmAtOnce = true;
        }
    }
}
