package io.userstream.adapters.rabbitmq;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which worker applies a user's events. */
class WorkerOfUserTest {

    @Test
    void a_user_always_goes_to_the_same_worker_within_range() {
        for (int i = 0; i < 1_000; i++) {
            UUID user = UUID.randomUUID();
            int worker = WorkerOfUser.of(user, 3);
            assertThat(worker).isBetween(0, 2);
            assertThat(WorkerOfUser.of(new UUID(user.getMostSignificantBits(), user.getLeastSignificantBits()), 3))
                    .isEqualTo(worker);
        }
        assertThat(WorkerOfUser.of(UUID.randomUUID(), 1)).isZero();
    }

    @Test
    void random_users_spread_evenly() {
        Random random = new Random(7);
        for (int workers : new int[] {2, 3, 4, 7}) {
            int[] counts = new int[workers];
            for (int i = 0; i < 40_000; i++) {
                counts[WorkerOfUser.of(new UUID(random.nextLong(), random.nextLong()), workers)]++;
            }
            for (int count : counts) {
                assertThat((double) count).as("share of a worker of " + workers)
                        .isCloseTo(40_000.0 / workers, org.assertj.core.data.Percentage.withPercentage(5));
            }
        }
    }

    /** Ids that differ only in a few bits (sequential, or time-ordered v7 ones from one millisecond) spread too. */
    @Test
    void ids_differing_in_few_bits_spread_too() {
        int[] sequential = new int[2];
        int[] highBitsOnly = new int[2];
        Random random = new Random(1);
        long base = random.nextLong();
        for (long i = 0; i < 10_000; i++) {
            sequential[WorkerOfUser.of(new UUID(base, i), 2)]++;
            highBitsOnly[WorkerOfUser.of(new UUID(i << 32, 0), 2)]++;
        }
        assertThat(sequential[0]).isBetween(4_500, 5_500);
        assertThat(highBitsOnly[0]).isBetween(4_500, 5_500);
    }

    @Test
    void no_workers_is_refused() {
        assertThatThrownBy(() -> WorkerOfUser.of(UUID.randomUUID(), 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
