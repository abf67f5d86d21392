package io.userstream.adapters.rabbitmq;

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
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import static io.userstream.adapters.rabbitmq.ConsumerFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batching consumer against the real RabbitMQ and the real PostgreSQL stats store, on queues and a
 * schema of its own (see {@link ConsumerFixture}).
 */
class RabbitUserActivityConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private ConsumerFixture fixture;

    @BeforeEach
    void open() throws Exception {
        fixture = new ConsumerFixture();
    }

    @AfterEach
    void close() throws Exception {
        fixture.close();
    }

    @Test
    void two_thousand_events_of_fifty_users_some_twice_give_every_user_the_stats_of_its_history() throws Exception {
        Random random = new Random(7);
        List<List<UserActivity>> users = new ArrayList<>();
        for (int u = 0; u < 50; u++) {
            users.add(fixture.newUser(39, random));
        }
        // Interleaved as user-service would publish them (each user's in order), 10% of them once more
        // somewhat later, as a lost ack or a relay retry would.
        List<UserActivity> published = new ArrayList<>();
        List<UserActivity> again = new ArrayList<>();
        int[] next = new int[users.size()];
        int left = 50 * 40;
        while (left > 0) {
            int u = random.nextInt(users.size());
            if (next[u] < users.get(u).size()) {
                UserActivity event = users.get(u).get(next[u]++);
                published.add(event);
                if (random.nextInt(10) == 0) {
                    again.add(event);
                }
                if (!again.isEmpty() && random.nextInt(20) == 0) {
                    published.add(again.removeFirst());
                }
                left--;
            }
        }
        published.addAll(again);
        int duplicates = published.size() - 2_000;
        assertThat(duplicates).isPositive();
        for (UserActivity event : published) {
            fixture.publish(event);
        }

        fixture.start(RabbitUserActivityConsumer.Batching.DEFAULT, 3);
        await("all " + published.size() + " deliveries consumed", WAIT,
                () -> fixture.observer.total.get() == published.size());

        for (List<UserActivity> history : users) {
            UUID user = history.getFirst().userId();
            UserStats stats = fixture.store.find(user).orElseThrow();
            UserStats expected = UserStats.fromHistory(history, stats.updatedAt(), null);
            assertThat(stats).as("stats of user " + user)
                    .isEqualTo(new UserStats(user, expected.status(), expected.memberSince(), expected.profileUpdates(),
                            expected.emailChanges(), expected.passwordChanges(), expected.lastActivityAt(),
                            expected.lastEventVersion(), null, stats.createdAt(), stats.updatedAt()));
        }
        assertThat(fixture.observer.count(ConsumeResult.APPLIED)).isEqualTo(2_000);
        assertThat(fixture.observer.count(ConsumeResult.DUPLICATE)).isEqualTo(duplicates);
        assertThat(fixture.observer.count(ConsumeResult.RESYNCED)).isZero();
        assertThat(fixture.useCase.singles).as("no batch had to be taken apart").hasValue(0);
        assertThat(fixture.useCase.batches.get()).as("batches, not one transaction per message")
                .isLessThan(published.size() / 10);
        assertThat(fixture.observer.deadLettered).hasValue(0);
        // Everything was acknowledged: closing the consumer hands nothing back to the queue.
        fixture.consumer.close();
        assertThat(fixture.messageCount(fixture.names.queue())).isZero();
        assertThat(fixture.messageCount(fixture.names.dlq())).isZero();
    }

    @Test
    void a_lone_event_is_applied_without_waiting_for_a_batch_to_fill() throws Exception {
        fixture.start(RabbitUserActivityConsumer.Batching.DEFAULT, 3);
        UserActivity created = fixture.newUser(0, new Random(1)).getFirst();

        fixture.publish(created);

        await("the lone event applied", Duration.ofSeconds(10),
                () -> fixture.store.find(created.userId()).isPresent());
        assertThat(fixture.useCase.batches).hasValue(1);
    }

    @Test
    void a_poison_message_is_dead_lettered_alone_and_the_rest_of_its_batch_applies() throws Exception {
        List<UserActivity> history = fixture.newUser(5, new Random(2));
        for (int i = 0; i < 3; i++) {
            fixture.publish(history.get(i));
        }
        fixture.publishRaw("poison", new byte[] {1, 2, 3, 4});
        for (int i = 3; i < history.size(); i++) {
            fixture.publish(history.get(i));
        }

        fixture.start(RabbitUserActivityConsumer.Batching.DEFAULT, 3);

        await("the user's stats at version 6", WAIT, () -> version(history.getFirst().userId()) == 6);
        await("the poison message in the dead-letter queue", WAIT,
                () -> fixture.messageCount(fixture.names.dlq()) == 1);
        assertThat(fixture.observer.deadLettered).hasValue(1);
        assertThat(fixture.useCase.singles).as("the batch itself did not fail").hasValue(0);
    }

    @Test
    void a_failing_event_is_isolated_the_others_of_its_batch_apply_and_it_is_dead_lettered_after_max_deliveries()
            throws Exception {
        Random random = new Random(3);
        List<UserActivity> before = fixture.newUser(3, random);
        List<UserActivity> after = fixture.newUser(3, random);
        // An event of a user user-service does not know, not its first: a resync is needed and impossible.
        UserActivity orphan = new UserActivity(UUID.randomUUID(), UUID.randomUUID(), 3, Instant.now(),
                ActivityType.PROFILE_UPDATED);
        for (UserActivity event : before) {
            fixture.publish(event);
        }
        fixture.publish(orphan);
        for (UserActivity event : after) {
            fixture.publish(event);
        }

        fixture.start(RabbitUserActivityConsumer.Batching.DEFAULT, 3);

        await("the orphan in the dead-letter queue", WAIT, () -> fixture.messageCount(fixture.names.dlq()) == 1);
        await("both users' stats at version 4", WAIT,
                () -> version(before.getFirst().userId()) == 4 && version(after.getFirst().userId()) == 4);
        assertThat(fixture.observer.deadLettered).hasValue(1);
        assertThat(fixture.observer.count(ConsumeResult.APPLIED)).as("each event counted once").isEqualTo(8);
        assertThat(fixture.store.find(orphan.userId())).isEmpty();
        fixture.consumer.close();
        assertThat(fixture.messageCount(fixture.names.queue())).isZero();
    }

    private long version(UUID user) {
        Optional<UserStats> stats = fixture.store.find(user);
        return stats.map(UserStats::lastEventVersion).orElse(0L);
    }
}
