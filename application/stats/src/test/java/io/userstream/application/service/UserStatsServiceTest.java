package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryUserDirectory;
import io.userstream.application.fakes.InMemoryUserStatsStore;
import io.userstream.application.fakes.RecordingStatsObserver;
import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.out.StatsObserver.RepairOutcome;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.StatsStatus;
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.stats.UserStats;
import io.userstream.domain.stats.InvalidRequestException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class UserStatsServiceTest {

    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");
    static final Instant NOW = Instant.parse("2025-04-01T12:00:00Z");

    FixedTimeSource clock;
    InMemoryUserStatsStore store;
    InMemoryUserDirectory directory;
    RecordingStatsObserver observer;
    UserStatsService service;

    final List<LogRecord> logged = new ArrayList<>();
    final Logger serviceLog = Logger.getLogger(UserStatsService.class.getName());
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (logged) {
                logged.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void setUp() {
        clock = new FixedTimeSource(NOW);
        store = new InMemoryUserStatsStore();
        directory = new InMemoryUserDirectory();
        observer = new RecordingStatsObserver();
        service = new UserStatsService(store, directory, clock, observer);
        serviceLog.addHandler(capture);
    }

    @AfterEach
    void tearDown() {
        serviceLog.removeHandler(capture);
    }

    /**
     * The history of a new user, as user-service would publish it: CREATED at version 1, then
     * {@code types} at versions 2, 3, ..., one minute apart.
     */
    static List<UserActivity> historyOf(UUID user, ActivityType... types) {
        List<UserActivity> history = new ArrayList<>();
        history.add(new UserActivity(UUID.randomUUID(), user, 1, T0, ActivityType.CREATED));
        for (ActivityType type : types) {
            history.add(new UserActivity(UUID.randomUUID(), user, history.size() + 1,
                    T0.plus(Duration.ofMinutes(history.size())), type));
        }
        return history;
    }

    /** A user user-service knows, with this history; not yet consumed by stats. */
    List<UserActivity> knownUser(ActivityType... types) {
        List<UserActivity> history = historyOf(UUID.randomUUID(), types);
        directory.record(history.toArray(UserActivity[]::new));
        return history;
    }

    /** Another delivery of the same event: same id, same everything. */
    static UserActivity redelivery(UserActivity event) {
        return new UserActivity(event.eventId(), event.userId(), event.version(), event.occurredAt(), event.type());
    }

    List<String> infoMessages() {
        synchronized (logged) {
            return logged.stream().filter(r -> r.getLevel() == Level.INFO).map(LogRecord::getMessage).toList();
        }
    }

    @Nested
    class Consume {

        @Test
        void events_in_order_are_applied_one_by_one() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED,
                    ActivityType.PASSWORD_CHANGED, ActivityType.PROFILE_UPDATED, ActivityType.DEACTIVATED);
            UUID user = history.getFirst().userId();

            List<ConsumeResult> results = history.stream().map(service::consume).toList();

            assertThat(results).containsOnly(ConsumeResult.APPLIED).hasSize(6);
            assertThat(store.find(user)).contains(new UserStats(user, StatsStatus.INACTIVE, T0, 2, 1, 1,
                    history.getLast().occurredAt(), 6, null, NOW, NOW));
            assertThat(history).allMatch(event -> store.isProcessed(event.eventId()));
            assertThat(directory.historyCalls()).as("no event needed user-service").isZero();
            assertThat(observer.consumed()).isEqualTo(results);
        }

        @Test
        void the_time_of_each_write_is_kept_apart_from_when_the_stats_were_created() {
            List<UserActivity> history = knownUser(ActivityType.ACTIVATED);
            service.consume(history.get(0));
            Instant later = clock.advance(Duration.ofMinutes(5));

            service.consume(history.get(1));

            UserStats stats = store.find(history.getFirst().userId()).orElseThrow();
            assertThat(stats.createdAt()).isEqualTo(NOW);
            assertThat(stats.updatedAt()).isEqualTo(later);
        }

        @Test
        void a_redelivered_event_is_a_duplicate_and_changes_nothing() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED);
            service.consume(history.get(0));
            service.consume(history.get(1));
            UserStats before = store.find(history.getFirst().userId()).orElseThrow();
            clock.advance(Duration.ofMinutes(1));

            ConsumeResult again = service.consume(redelivery(history.get(1)));

            assertThat(again).isEqualTo(ConsumeResult.DUPLICATE);
            assertThat(store.find(before.userId())).contains(before);
        }

        @Test
        void a_redelivered_creation_is_a_duplicate() {
            UserActivity created = knownUser().getFirst();
            service.consume(created);

            assertThat(service.consume(redelivery(created))).isEqualTo(ConsumeResult.DUPLICATE);
            assertThat(store.find(created.userId()).orElseThrow().lastEventVersion()).isEqualTo(1);
        }

        @Test
        void a_version_already_reflected_is_a_duplicate_even_under_a_new_event_id() {
            List<UserActivity> history = knownUser(ActivityType.EMAIL_CHANGED, ActivityType.PROFILE_UPDATED);
            history.forEach(service::consume);
            UserStats before = store.find(history.getFirst().userId()).orElseThrow();
            UserActivity sameVersion = new UserActivity(UUID.randomUUID(), before.userId(), 2, T0,
                    ActivityType.EMAIL_CHANGED);

            ConsumeResult result = service.consume(sameVersion);

            assertThat(result).isEqualTo(ConsumeResult.DUPLICATE);
            assertThat(store.find(before.userId())).contains(before);
            assertThat(store.isProcessed(sameVersion.eventId())).as("recorded, so a redelivery stops at the inbox")
                    .isTrue();
        }

        @Test
        void a_gap_resyncs_the_stats_from_the_whole_history() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED,
                    ActivityType.DEACTIVATED, ActivityType.PROFILE_UPDATED);
            UUID user = history.getFirst().userId();
            service.consume(history.get(0));
            Instant later = clock.advance(Duration.ofMinutes(10));

            // Versions 2 to 4 were lost.
            ConsumeResult result = service.consume(history.get(4));

            assertThat(result).isEqualTo(ConsumeResult.RESYNCED);
            assertThat(store.find(user)).contains(new UserStats(user, StatsStatus.INACTIVE, T0, 2, 1, 0,
                    history.get(4).occurredAt(), 5, null, NOW, later));
            assertThat(store.isProcessed(history.get(4).eventId())).isTrue();
            assertThat(observer.consumed()).containsExactly(ConsumeResult.APPLIED, ConsumeResult.RESYNCED);
        }

        @Test
        void after_a_resync_the_lost_events_are_duplicates_and_the_next_one_applies() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED);
            service.consume(history.get(0));
            service.consume(history.get(2));
            directory.record(new UserActivity(UUID.randomUUID(), history.getFirst().userId(), 4, T0.plusSeconds(3600),
                    ActivityType.PASSWORD_CHANGED));

            ConsumeResult late = service.consume(history.get(1));
            ConsumeResult next = service.consume(new UserActivity(UUID.randomUUID(), history.getFirst().userId(), 4,
                    T0.plusSeconds(3600), ActivityType.PASSWORD_CHANGED));

            assertThat(late).isEqualTo(ConsumeResult.DUPLICATE);
            assertThat(next).isEqualTo(ConsumeResult.APPLIED);
            UserStats stats = store.find(history.getFirst().userId()).orElseThrow();
            assertThat(List.of(stats.profileUpdates(), stats.emailChanges(), stats.passwordChanges(),
                    stats.lastEventVersion())).containsExactly(1L, 1L, 1L, 4L);
        }

        @Test
        void a_lost_creation_resyncs_when_the_next_event_arrives() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED);
            UUID user = history.getFirst().userId();

            ConsumeResult result = service.consume(history.get(1));

            assertThat(result).isEqualTo(ConsumeResult.RESYNCED);
            assertThat(store.find(user)).contains(new UserStats(user, StatsStatus.ACTIVE, T0, 1, 0, 0,
                    history.get(1).occurredAt(), 2, null, NOW, NOW));
        }

        @Test
        void a_resync_keeps_when_the_stats_were_created_and_repaired() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.PROFILE_UPDATED);
            UUID user = history.getFirst().userId();
            Instant repairedAt = NOW.minus(Duration.ofDays(1));
            store.put(UserStats.fromHistory(history.subList(0, 1), repairedAt, repairedAt));

            ConsumeResult result = service.consume(history.get(2));

            assertThat(result).isEqualTo(ConsumeResult.RESYNCED);
            UserStats stats = store.find(user).orElseThrow();
            assertThat(stats.profileUpdates()).isEqualTo(2);
            assertThat(stats.repairedAt()).isEqualTo(repairedAt);
            assertThat(stats.createdAt()).isEqualTo(repairedAt);
            assertThat(stats.updatedAt()).isEqualTo(NOW);
        }

        @Test
        void a_resync_keeps_a_row_that_got_as_far_while_user_service_was_asked() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED);
            UUID user = history.getFirst().userId();
            service.consume(history.get(0));
            UserStats concurrent = UserStats.fromHistory(history, NOW.minusSeconds(1), null);
            directory.beforeEachHistory(() -> store.put(concurrent));

            ConsumeResult result = service.consume(history.get(2));

            assertThat(result).isEqualTo(ConsumeResult.RESYNCED);
            assertThat(store.find(user)).contains(concurrent);
            assertThat(store.isProcessed(history.get(2).eventId())).isTrue();
        }

        @Test
        void a_gap_for_a_user_that_user_service_does_not_know_is_an_error_and_records_nothing() {
            UUID stranger = UUID.randomUUID();
            UserActivity orphan = new UserActivity(UUID.randomUUID(), stranger, 3, T0, ActivityType.PROFILE_UPDATED);

            assertThatThrownBy(() -> service.consume(orphan))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("user-service does not know user " + stranger);
            assertThat(store.find(stranger)).isEmpty();
            assertThat(store.isProcessed(orphan.eventId())).isFalse();
            assertThat(observer.consumed()).isEmpty();
        }

        @Test
        void a_gap_while_user_service_is_down_records_nothing_so_that_a_redelivery_resyncs() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.PROFILE_UPDATED);
            service.consume(history.get(0));
            directory.setUnavailable(true);

            assertThatThrownBy(() -> service.consume(history.get(2)))
                    .isInstanceOf(UserDirectoryUnavailableException.class);
            assertThat(store.isProcessed(history.get(2).eventId())).isFalse();
            assertThat(store.find(history.getFirst().userId()).orElseThrow().lastEventVersion()).isEqualTo(1);

            directory.setUnavailable(false);
            assertThat(service.consume(redelivery(history.get(2)))).isEqualTo(ConsumeResult.RESYNCED);
            assertThat(store.find(history.getFirst().userId()).orElseThrow().profileUpdates()).isEqualTo(2);
        }

        @Test
        void a_history_that_lacks_the_event_is_an_error_rather_than_a_lost_event() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED);
            service.consume(history.get(0));
            UserActivity ahead = new UserActivity(UUID.randomUUID(), history.getFirst().userId(), 3, T0,
                    ActivityType.EMAIL_CHANGED);

            assertThatThrownBy(() -> service.consume(ahead))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ends at version 2, before event " + ahead.eventId() + " (version 3)");
            assertThat(store.isProcessed(ahead.eventId())).isFalse();
        }
    }

    @Nested
    class ConsumeAll {

        @Test
        void a_batch_is_one_transaction_and_each_users_events_apply_in_order() {
            List<UserActivity> alice = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.DEACTIVATED,
                    ActivityType.ACTIVATED, ActivityType.EMAIL_CHANGED);
            List<UserActivity> bob = knownUser(ActivityType.PASSWORD_CHANGED, ActivityType.DELETED);
            // Interleaved as the queue would deliver them; each user's events keep their order.
            List<UserActivity> batch = List.of(alice.get(0), bob.get(0), alice.get(1), alice.get(2), bob.get(1),
                    alice.get(3), bob.get(2), alice.get(4));

            List<ConsumeResult> results = service.consumeAll(batch);

            assertThat(results).hasSize(8).containsOnly(ConsumeResult.APPLIED);
            assertThat(store.commits()).isEqualTo(1);
            assertThat(store.find(alice.getFirst().userId())).contains(new UserStats(alice.getFirst().userId(),
                    StatsStatus.ACTIVE, T0, 1, 1, 0, alice.getLast().occurredAt(), 5, null, NOW, NOW));
            assertThat(store.find(bob.getFirst().userId())).contains(new UserStats(bob.getFirst().userId(),
                    StatsStatus.DELETED, T0, 0, 0, 1, bob.getLast().occurredAt(), 3, null, NOW, NOW));
            assertThat(batch).allMatch(event -> store.isProcessed(event.eventId()));
            assertThat(observer.consumed()).as("counted per event").isEqualTo(results);
            assertThat(directory.historyCalls()).isZero();
        }

        @Test
        void an_event_twice_in_one_batch_counts_once() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.PROFILE_UPDATED);
            List<UserActivity> batch = List.of(history.get(0), history.get(1), redelivery(history.get(1)),
                    redelivery(history.get(0)), history.get(2), redelivery(history.get(2)));

            List<ConsumeResult> results = service.consumeAll(batch);

            assertThat(results).containsExactly(ConsumeResult.APPLIED, ConsumeResult.APPLIED, ConsumeResult.DUPLICATE,
                    ConsumeResult.DUPLICATE, ConsumeResult.APPLIED, ConsumeResult.DUPLICATE);
            UserStats stats = store.find(history.getFirst().userId()).orElseThrow();
            assertThat(stats.profileUpdates()).isEqualTo(2);
            assertThat(stats.lastEventVersion()).isEqualTo(3);
        }

        @Test
        void events_already_in_the_inbox_are_duplicates_and_change_nothing() {
            List<UserActivity> history = knownUser(ActivityType.EMAIL_CHANGED, ActivityType.PASSWORD_CHANGED);
            service.consumeAll(history.subList(0, 2));
            UserStats before = store.find(history.getFirst().userId()).orElseThrow();
            clock.advance(Duration.ofMinutes(1));

            List<ConsumeResult> again = service.consumeAll(List.of(redelivery(history.get(0)), redelivery(history.get(1))));

            assertThat(again).containsExactly(ConsumeResult.DUPLICATE, ConsumeResult.DUPLICATE);
            assertThat(store.find(before.userId())).contains(before);

            List<ConsumeResult> next = service.consumeAll(List.of(redelivery(history.get(1)), history.get(2)));
            assertThat(next).containsExactly(ConsumeResult.DUPLICATE, ConsumeResult.APPLIED);
            assertThat(store.find(before.userId()).orElseThrow().passwordChanges()).isEqualTo(1);
        }

        @Test
        void a_version_already_reflected_under_a_new_id_is_a_duplicate_and_recorded() {
            List<UserActivity> history = knownUser(ActivityType.EMAIL_CHANGED);
            UserActivity sameVersion = new UserActivity(UUID.randomUUID(), history.getFirst().userId(), 2, T0,
                    ActivityType.EMAIL_CHANGED);

            List<ConsumeResult> results = service.consumeAll(List.of(history.get(0), history.get(1), sameVersion));

            assertThat(results).containsExactly(ConsumeResult.APPLIED, ConsumeResult.APPLIED, ConsumeResult.DUPLICATE);
            assertThat(store.find(history.getFirst().userId()).orElseThrow().emailChanges()).isEqualTo(1);
            assertThat(store.isProcessed(sameVersion.eventId())).isTrue();
        }

        @Test
        void a_skipped_version_resyncs_that_user_and_the_rest_of_the_batch_still_applies() {
            List<UserActivity> gapped = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED,
                    ActivityType.DEACTIVATED, ActivityType.PROFILE_UPDATED);
            List<UserActivity> other = knownUser(ActivityType.PASSWORD_CHANGED);
            service.consume(gapped.get(0));
            Instant later = clock.advance(Duration.ofMinutes(10));
            // Versions 2 and 3 of the first user were lost; 4 and 5 arrive, the lost 3 after them.
            List<UserActivity> batch = List.of(other.get(0), gapped.get(3), other.get(1), gapped.get(4), gapped.get(2));

            List<ConsumeResult> results = service.consumeAll(batch);

            assertThat(results).containsExactly(ConsumeResult.APPLIED, ConsumeResult.RESYNCED, ConsumeResult.APPLIED,
                    ConsumeResult.DUPLICATE, ConsumeResult.DUPLICATE);
            UUID user = gapped.getFirst().userId();
            assertThat(store.find(user)).contains(new UserStats(user, StatsStatus.INACTIVE, T0, 2, 1, 0,
                    gapped.get(4).occurredAt(), 5, null, NOW, later));
            assertThat(store.find(other.getFirst().userId()).orElseThrow().passwordChanges()).isEqualTo(1);
            assertThat(batch).allMatch(event -> store.isProcessed(event.eventId()));
            assertThat(directory.historyCalls()).as("one history, asked outside the transaction").isEqualTo(1);
            assertThat(store.commits()).as("the consume before, and the batch's one commit").isEqualTo(2);
            assertThat(observer.consumed()).containsExactly(ConsumeResult.APPLIED, ConsumeResult.APPLIED,
                    ConsumeResult.RESYNCED, ConsumeResult.APPLIED, ConsumeResult.DUPLICATE, ConsumeResult.DUPLICATE);
        }

        @Test
        void a_lost_creation_resyncs_and_keeps_when_stats_were_repaired() {
            List<UserActivity> lost = knownUser(ActivityType.PROFILE_UPDATED);
            List<UserActivity> repaired = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.PROFILE_UPDATED);
            Instant repairedAt = NOW.minus(Duration.ofDays(1));
            store.put(UserStats.fromHistory(repaired.subList(0, 1), repairedAt, repairedAt));

            List<ConsumeResult> results = service.consumeAll(List.of(lost.get(1), repaired.get(2)));

            assertThat(results).containsExactly(ConsumeResult.RESYNCED, ConsumeResult.RESYNCED);
            assertThat(store.find(lost.getFirst().userId()).orElseThrow().lastEventVersion()).isEqualTo(2);
            UserStats stats = store.find(repaired.getFirst().userId()).orElseThrow();
            assertThat(stats.profileUpdates()).isEqualTo(2);
            assertThat(stats.repairedAt()).isEqualTo(repairedAt);
            assertThat(stats.createdAt()).isEqualTo(repairedAt);
        }

        @Test
        void a_user_unknown_to_user_service_fails_the_whole_batch_and_records_nothing() {
            List<UserActivity> fine = knownUser(ActivityType.PROFILE_UPDATED);
            UUID stranger = UUID.randomUUID();
            UserActivity orphan = new UserActivity(UUID.randomUUID(), stranger, 3, T0, ActivityType.PROFILE_UPDATED);

            assertThatThrownBy(() -> service.consumeAll(List.of(fine.get(0), orphan, fine.get(1))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("user-service does not know user " + stranger);
            assertThat(store.find(fine.getFirst().userId())).isEmpty();
            assertThat(store.isProcessed(fine.get(0).eventId())).isFalse();
            assertThat(store.isProcessed(orphan.eventId())).isFalse();
            assertThat(observer.consumed()).isEmpty();
        }

        @Test
        void a_history_that_lacks_the_event_fails_the_whole_batch() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED);
            service.consume(history.get(0));
            UserActivity ahead = new UserActivity(UUID.randomUUID(), history.getFirst().userId(), 3, T0,
                    ActivityType.EMAIL_CHANGED);

            assertThatThrownBy(() -> service.consumeAll(List.of(ahead)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ends at version 2, before event " + ahead.eventId() + " (version 3)");
            assertThat(store.isProcessed(ahead.eventId())).isFalse();
        }

        @Test
        void a_gap_while_user_service_is_down_records_nothing_of_the_batch() {
            List<UserActivity> gapped = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.PROFILE_UPDATED);
            List<UserActivity> other = knownUser();
            service.consume(gapped.get(0));
            directory.setUnavailable(true);

            assertThatThrownBy(() -> service.consumeAll(List.of(other.get(0), gapped.get(2))))
                    .isInstanceOf(UserDirectoryUnavailableException.class);
            assertThat(store.isProcessed(other.get(0).eventId())).isFalse();
            assertThat(store.find(other.getFirst().userId())).isEmpty();

            directory.setUnavailable(false);
            assertThat(service.consumeAll(List.of(other.get(0), gapped.get(2))))
                    .containsExactly(ConsumeResult.APPLIED, ConsumeResult.RESYNCED);
            assertThat(store.find(gapped.getFirst().userId()).orElseThrow().profileUpdates()).isEqualTo(2);
        }

        @Test
        void a_batch_gives_every_user_the_stats_consuming_one_by_one_gives() {
            java.util.Random random = new java.util.Random(42);
            List<List<UserActivity>> users = new ArrayList<>();
            ActivityType[] changes = {ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED,
                    ActivityType.PASSWORD_CHANGED, ActivityType.DEACTIVATED, ActivityType.ACTIVATED};
            for (int u = 0; u < 20; u++) {
                ActivityType[] types = new ActivityType[random.nextInt(8)];
                for (int i = 0; i < types.length; i++) {
                    types[i] = changes[random.nextInt(changes.length)];
                }
                users.add(knownUser(types));
            }
            // Interleave users at random, keeping each user's order, with some events delivered twice.
            List<UserActivity> stream = new ArrayList<>();
            int[] next = new int[users.size()];
            int left = users.stream().mapToInt(List::size).sum();
            while (left > 0) {
                int u = random.nextInt(users.size());
                if (next[u] < users.get(u).size()) {
                    UserActivity event = users.get(u).get(next[u]++);
                    stream.add(event);
                    if (random.nextInt(5) == 0) {
                        stream.add(redelivery(event));
                    }
                    left--;
                }
            }

            for (int from = 0; from < stream.size(); from += 7) {
                service.consumeAll(stream.subList(from, Math.min(stream.size(), from + 7)));
            }

            for (List<UserActivity> history : users) {
                UUID user = history.getFirst().userId();
                assertThat(store.find(user)).contains(UserStats.fromHistory(history, NOW, null));
            }
            assertThat(observer.consumed().stream().filter(result -> result == ConsumeResult.APPLIED).count())
                    .isEqualTo(users.stream().mapToInt(List::size).sum());
            assertThat(observer.consumed()).hasSize(stream.size());
        }
    }

    @Nested
    class GetUserStats {

        @Test
        void a_malformed_id_is_invalid_input_on_user_id() {
            Throwable thrown = catchThrowable(() -> service.getUserStats("not-a-uuid"));

            assertThat(thrown).isInstanceOfSatisfying(InvalidRequestException.class,
                    invalid -> assertThat(invalid.violations()).extracting(InvalidRequestException.Violation::field)
                            .containsExactly("user_id"));
            assertThat(directory.historyCalls()).isZero();
        }

        @Test
        void stored_stats_are_returned_without_asking_user_service() {
            List<UserActivity> history = knownUser(ActivityType.EMAIL_CHANGED);
            history.forEach(service::consume);

            UserStats stats = service.getUserStats(history.getFirst().userId().toString());

            assertThat(stats.emailChanges()).isEqualTo(1);
            assertThat(directory.historyCalls()).isZero();
            assertThat(observer.repaired()).isEmpty();
            assertThat(infoMessages()).isEmpty();
        }

        @Test
        void missing_stats_of_a_known_user_are_built_from_its_history_and_stored() {
            List<UserActivity> history = knownUser(ActivityType.PROFILE_UPDATED, ActivityType.DEACTIVATED);
            UUID user = history.getFirst().userId();

            UserStats stats = service.getUserStats(user.toString());

            UserStats expected = new UserStats(user, StatsStatus.INACTIVE, T0, 1, 0, 0, history.getLast().occurredAt(),
                    3, NOW, NOW, NOW);
            assertThat(stats).isEqualTo(expected);
            assertThat(store.find(user)).contains(expected);
            assertThat(observer.repaired()).containsExactly(RepairOutcome.CREATED);
            assertThat(infoMessages()).containsExactly("self-healing triggered for user " + user);
        }

        @Test
        void a_repaired_user_is_read_from_the_store_the_next_time() {
            UUID user = knownUser().getFirst().userId();
            UserStats first = service.getUserStats(user.toString());
            clock.advance(Duration.ofMinutes(1));

            UserStats second = service.getUserStats(user.toString());

            assertThat(second).isEqualTo(first);
            assertThat(directory.historyCalls()).isEqualTo(1);
            assertThat(observer.repaired()).containsExactly(RepairOutcome.CREATED);
        }

        @Test
        void a_user_unknown_to_user_service_is_not_found() {
            UUID stranger = UUID.randomUUID();

            assertThatThrownBy(() -> service.getUserStats(stranger.toString()))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessage("user " + stranger + " not found");
            assertThat(store.find(stranger)).isEmpty();
            assertThat(observer.repaired()).containsExactly(RepairOutcome.USER_NOT_FOUND);
            assertThat(infoMessages()).isEmpty();
        }

        @Test
        void an_unknown_user_is_not_asked_about_again_for_a_few_seconds() {
            UUID stranger = UUID.randomUUID();
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> service.getUserStats(stranger.toString())).isInstanceOf(NotFoundException.class);
            }
            assertThat(directory.historyCalls()).as("random ids cannot make every read a call").isEqualTo(1);
            assertThat(observer.repaired()).containsExactly(RepairOutcome.USER_NOT_FOUND,
                    RepairOutcome.USER_NOT_FOUND_RECENTLY, RepairOutcome.USER_NOT_FOUND_RECENTLY);

            clock.advance(UserStatsService.NOT_FOUND_TTL);
            assertThatThrownBy(() -> service.getUserStats(stranger.toString())).isInstanceOf(NotFoundException.class);
            assertThat(directory.historyCalls()).as("asked again once the answer expired").isEqualTo(2);
        }

        @Test
        void missing_stats_while_user_service_is_down_are_unavailable() {
            UUID user = knownUser().getFirst().userId();
            directory.setUnavailable(true);

            assertThatThrownBy(() -> service.getUserStats(user.toString()))
                    .isInstanceOf(UserDirectoryUnavailableException.class);
            assertThat(store.find(user)).isEmpty();
            assertThat(observer.repaired()).containsExactly(RepairOutcome.UNAVAILABLE);
        }

        @Test
        void twenty_concurrent_reads_of_missing_stats_agree_on_one_repair() throws Exception {
            int callers = 20;
            UUID user = knownUser(ActivityType.PROFILE_UPDATED).getFirst().userId();
            // Every caller has found no row and asked user-service before any of them stores anything.
            CyclicBarrier allAsked = new CyclicBarrier(callers);
            directory.beforeEachHistory(() -> {
                try {
                    allAsked.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                    throw new AssertionError("the callers did not all reach user-service", e);
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<UserStats>> reads = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    // Different times, so a caller answering with its own stats instead of the stored row shows.
                    Instant now = NOW.plusSeconds(i);
                    reads.add(pool.submit(() -> new UserStatsService(store, directory, () -> now, observer)
                            .getUserStats(user.toString())));
                }
                List<UserStats> answers = new ArrayList<>();
                for (Future<UserStats> read : reads) {
                    answers.add(read.get(20, TimeUnit.SECONDS));
                }

                assertThat(answers).hasSize(callers).containsOnly(store.find(user).orElseThrow());
                assertThat(directory.historyCalls()).isEqualTo(callers);
                assertThat(store.inserts()).isEqualTo(1);
                assertThat(observer.repaired()).containsExactly(RepairOutcome.CREATED);
                assertThat(infoMessages()).containsExactly("self-healing triggered for user " + user);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Reconcile {

        @Test
        void creates_the_stats_of_exactly_the_users_that_have_none() {
            List<UserActivity> consumed = knownUser(ActivityType.EMAIL_CHANGED);
            consumed.forEach(service::consume);
            UserStats untouched = store.find(consumed.getFirst().userId()).orElseThrow();
            UUID lost = knownUser(ActivityType.PROFILE_UPDATED).getFirst().userId();
            UUID alsoLost = knownUser().getFirst().userId();
            clock.advance(Duration.ofHours(1));

            int created = service.reconcile();

            assertThat(created).isEqualTo(2);
            assertThat(store.find(untouched.userId())).contains(untouched);
            assertThat(store.find(lost).orElseThrow().profileUpdates()).isEqualTo(1);
            assertThat(store.find(lost).orElseThrow().repairedAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
            assertThat(store.find(alsoLost)).isPresent();
            assertThat(directory.historyCalls()).as("only the users without stats").isEqualTo(2);
            assertThat(observer.repaired()).containsExactly(RepairOutcome.CREATED, RepairOutcome.CREATED);
            assertThat(infoMessages()).containsExactlyInAnyOrder("self-healing triggered for user " + lost,
                    "self-healing triggered for user " + alsoLost);
        }

        @Test
        void walks_every_page_of_users() {
            for (int i = 0; i < 1_001; i++) {
                knownUser();
            }

            int created = service.reconcile();

            assertThat(created).isEqualTo(1_001);
            assertThat(store.size()).isEqualTo(1_001);
            assertThat(directory.pageSizes()).containsExactly(500, 500, 500);
        }

        @Test
        void a_second_run_has_nothing_left_to_do() {
            knownUser();
            knownUser(ActivityType.DELETED);
            service.reconcile();

            assertThat(service.reconcile()).isZero();
            assertThat(store.inserts()).isEqualTo(2);
        }

        @Test
        void stops_when_user_service_is_down() {
            knownUser();
            directory.setUnavailable(true);

            assertThatThrownBy(service::reconcile).isInstanceOf(UserDirectoryUnavailableException.class);
            assertThat(store.size()).isZero();
        }
    }
}
