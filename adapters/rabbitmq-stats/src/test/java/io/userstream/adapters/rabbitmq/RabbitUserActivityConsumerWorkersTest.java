package io.userstream.adapters.rabbitmq;

import io.userstream.adapters.rabbitmq.RabbitUserActivityConsumer.Batching;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.stats.UserStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.userstream.adapters.rabbitmq.ConsumerFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer with several workers against the real RabbitMQ and PostgreSQL (see {@link ConsumerFixture}):
 * each user's events in queue order, no delivery acked before its commit, a failing event isolated by
 * halving its batch, and a connection cut mid-stream costing neither an event nor a double count.
 */
class RabbitUserActivityConsumerWorkersTest {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private ConsumerFixture fixture;

    @BeforeEach
    void open() throws Exception {
        fixture = new ConsumerFixture();
    }

    @AfterEach
    void close() throws Exception {
        fixture.close();
    }

    private List<List<UserActivity>> users(int users, int eventsEach, Random random) {
        List<List<UserActivity>> histories = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            histories.add(fixture.newUser(eventsEach - 1, random));
        }
        return histories;
    }

    /** Every user's stats are the fold of its whole history, counted once. */
    private void assertEveryUserHasTheStatsOfItsHistory(List<List<UserActivity>> users) {
        for (List<UserActivity> history : users) {
            UUID user = history.getFirst().userId();
            UserStats stats = fixture.store.find(user).orElseThrow(() -> new AssertionError("no stats for " + user));
            UserStats expected = UserStats.fromHistory(history, stats.updatedAt(), null);
            assertThat(stats).as("stats of user " + user)
                    .isEqualTo(new UserStats(user, expected.status(), expected.memberSince(), expected.profileUpdates(),
                            expected.emailChanges(), expected.passwordChanges(), expected.lastActivityAt(),
                            expected.lastEventVersion(), null, stats.createdAt(), stats.updatedAt()));
        }
    }

    @Test
    void three_workers_apply_each_users_interleaved_events_in_order() throws Exception {
        Random random = new Random(21);
        List<List<UserActivity>> users = users(300, 40, random);
        List<UserActivity> published = fixture.publishInterleaved(users, random);

        // Small batches, so that the workers' transactions overlap and interleave many times.
        fixture.start(Batching.of(100, 3, Duration.ofMillis(5)), 3);
        await("all 12,000 events consumed", WAIT, () -> fixture.observer.total.get() >= published.size());

        assertEveryUserHasTheStatsOfItsHistory(users);
        assertThat(fixture.observer.count(ConsumeResult.APPLIED)).isEqualTo(12_000);
        // A user's events applied out of queue order would have shown as a gap, and a resync.
        assertThat(fixture.observer.count(ConsumeResult.RESYNCED)).as("no event came before its predecessor").isZero();
        assertThat(fixture.observer.count(ConsumeResult.DUPLICATE)).isZero();
        assertThat(fixture.inboxSize()).as("every event id in the inbox").isEqualTo(12_000);
        assertThat(fixture.useCase.singles).as("no batch had to be taken apart").hasValue(0);
        // Everything was acknowledged: closing the consumer hands nothing back to the queue.
        fixture.consumer.close();
        assertThat(fixture.messageCount(fixture.names.queue())).isZero();
        assertThat(fixture.messageCount(fixture.names.dlq())).isZero();
    }

    @Test
    void a_failing_event_is_isolated_by_halving_its_batch_not_by_taking_every_event_alone() throws Exception {
        Random random = new Random(22);
        List<List<UserActivity>> users = users(40, 25, random);
        // An event of a user user-service does not know, not its first: a resync is needed and impossible.
        UserActivity orphan = new UserActivity(UUID.randomUUID(), UUID.randomUUID(), 3, Instant.now(),
                ActivityType.PROFILE_UPDATED);
        List<List<UserActivity>> withOrphan = new ArrayList<>(users);
        withOrphan.add(List.of(orphan));
        fixture.publishInterleaved(withOrphan, random);

        fixture.start(Batching.of(4_000, 2, Duration.ofMillis(50)), 3);

        await("the orphan in the dead-letter queue", WAIT, () -> fixture.messageCount(fixture.names.dlq()) == 1);
        await("all 1,000 events applied", WAIT, () -> fixture.observer.count(ConsumeResult.APPLIED) == 1_000);
        assertEveryUserHasTheStatsOfItsHistory(users);
        assertThat(fixture.observer.deadLettered).hasValue(1);
        assertThat(fixture.store.find(orphan.userId())).isEmpty();
        assertThat(fixture.useCase.singles).as("only the orphan, once per delivery, was consumed alone").hasValue(3);
        fixture.consumer.close();
        assertThat(fixture.messageCount(fixture.names.queue())).isZero();
        assertThat(fixture.inboxSize()).isEqualTo(1_000);
    }

    @Test
    void a_connection_cut_mid_stream_loses_no_event_and_counts_none_twice() throws Exception {
        Random random = new Random(23);
        List<List<UserActivity>> users = users(400, 50, random);
        List<UserActivity> published = fixture.publishInterleaved(users, random);

        try (CuttableProxy proxy = new CuttableProxy(ConsumerFixture.RABBIT.host(), ConsumerFixture.RABBIT.port())) {
            RabbitSettings throughProxy = new RabbitSettings(ConsumerFixture.RABBIT.host(), proxy.port(),
                    ConsumerFixture.RABBIT.username(), ConsumerFixture.RABBIT.password(),
                    ConsumerFixture.RABBIT.virtualHost(), ConsumerFixture.RABBIT.confirmTimeout(),
                    ConsumerFixture.RABBIT.quorumQueues());
            // Slowed down, so that the cuts fall mid-stream, and some of them between a commit and its ack.
            fixture.useCase.batchDelay = Duration.ofMillis(10);
            fixture.start(Batching.of(100, 2, Duration.ofMillis(5)), 3, throughProxy);

            await("a quarter of the events consumed", WAIT, () -> fixture.observer.total.get() >= published.size() / 4);
            proxy.cut();
            await("the consumer reconnected", WAIT, () -> proxy.accepted() >= 2 && fixture.consumer.isConsuming());
            await("half of the events consumed", WAIT, () -> fixture.observer.total.get() >= published.size() / 2);
            proxy.cut();

            await("every event in the inbox", WAIT, () -> fixture.inboxSize() == published.size());
            await("the queue drained and every delivery finished", WAIT,
                    () -> fixture.messageCount(fixture.names.queue()) == 0 && fixture.consumer.unfinishedDeliveries() == 0);
            assertThat(proxy.accepted()).as("connections through the proxy").isGreaterThanOrEqualTo(3);
            fixture.consumer.close();
        }

        assertThat(fixture.messageCount(fixture.names.queue())).as("everything acknowledged").isZero();
        assertEveryUserHasTheStatsOfItsHistory(users);
        // Each event has exactly one result that is not a duplicate; redeliveries of committed ones are duplicates.
        assertThat(fixture.observer.count(ConsumeResult.APPLIED) + fixture.observer.count(ConsumeResult.RESYNCED))
                .as("events counted once").isEqualTo(published.size());
        assertThat(fixture.observer.deadLettered).hasValue(0);
        assertThat(fixture.messageCount(fixture.names.dlq())).isZero();
    }
}
