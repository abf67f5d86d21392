package io.userstream.adapters.postgres;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The adaptive batch size and the isolation of a failing event, without a database. */
class BatchSizerTest {

    private static final Duration FAST = Duration.ofMillis(5);

    @Test
    void full_batches_double_the_limit_up_to_the_maximum_and_partial_ones_at_the_head_leave_it() {
        BatchSizer sizer = new BatchSizer(5000);
        assertThat(sizer.limit()).isEqualTo(100);
        sizer.committed(100, FAST, new Checkpoint(1, 100));
        assertThat(sizer.limit()).isEqualTo(200);
        for (int i = 0; i < 10; i++) {
            sizer.committed(sizer.limit(), FAST, new Checkpoint(1, 1000 + i));
        }
        assertThat(sizer.limit()).isEqualTo(5000);
        sizer.committed(3, FAST, new Checkpoint(2, 1));
        assertThat(sizer.limit()).isEqualTo(5000);
    }

    @Test
    void a_batch_slower_than_the_target_halves_the_limit_but_not_below_the_initial_size() {
        BatchSizer sizer = new BatchSizer(5000);
        for (int i = 0; i < 6; i++) {
            sizer.committed(sizer.limit(), FAST, new Checkpoint(1, i));
        }
        assertThat(sizer.limit()).isEqualTo(5000);
        sizer.committed(5000, BatchSizer.TARGET.multipliedBy(3), new Checkpoint(1, 10));
        assertThat(sizer.limit()).isEqualTo(2500);
        for (int i = 0; i < 10; i++) {
            sizer.committed(10, BatchSizer.TARGET.multipliedBy(3), new Checkpoint(1, 20 + i));
        }
        assertThat(sizer.limit()).isEqualTo(100);
    }

    @Test
    void a_failed_batch_is_narrowed_down_to_its_culprit_and_the_limit_grows_only_past_it() {
        BatchSizer sizer = new BatchSizer(8);
        assertThat(sizer.limit()).isEqualTo(8);
        // Events 1..8; event 6 fails.
        sizer.failed(8, new Checkpoint(1, 8));
        assertThat(sizer.isolating()).isTrue();
        assertThat(sizer.limit()).isEqualTo(4);
        sizer.committed(4, FAST, new Checkpoint(1, 4));     // 1..4 pass: the limit does not grow back
        assertThat(sizer.limit()).isEqualTo(4);
        sizer.failed(4, new Checkpoint(1, 8));              // 5..8 fail
        assertThat(sizer.limit()).isEqualTo(2);
        sizer.failed(2, new Checkpoint(1, 6));              // 5..6 fail
        assertThat(sizer.limit()).isEqualTo(1);
        sizer.committed(1, FAST, new Checkpoint(1, 5));     // 5 passes; 6 alone is next: the culprit
        assertThat(sizer.limit()).isEqualTo(1);
        assertThat(sizer.isolating()).isTrue();
        sizer.reset();                                      // 6 parked
        assertThat(sizer.isolating()).isFalse();
        assertThat(sizer.limit()).isEqualTo(8);
    }

    @Test
    void isolation_ends_once_the_reads_pass_the_end_of_the_failed_batch() {
        BatchSizer sizer = new BatchSizer(8);
        sizer.failed(8, new Checkpoint(1, 8));
        sizer.committed(4, FAST, new Checkpoint(1, 4));
        sizer.committed(4, FAST, new Checkpoint(1, 8));     // it failed once, for a reason that went away
        assertThat(sizer.isolating()).isFalse();
        assertThat(sizer.limit()).isEqualTo(8);
    }
}
