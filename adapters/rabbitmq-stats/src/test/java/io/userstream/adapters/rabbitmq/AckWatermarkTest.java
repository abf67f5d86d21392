package io.userstream.adapters.rabbitmq;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which tag a consumer with several workers may ack with one multiple ack. */
class AckWatermarkTest {

    private static AckWatermark delivered(long from, long to) {
        AckWatermark watermark = new AckWatermark();
        for (long tag = from; tag <= to; tag++) {
            watermark.delivered(tag);
        }
        return watermark;
    }

    @Test
    void a_later_commit_is_not_acked_while_an_earlier_delivery_is_unfinished() {
        AckWatermark watermark = delivered(1, 6);

        // Worker B commits 2, 4, 6 before worker A commits 1, 3, 5.
        assertThat(watermark.finished(2, true)).isZero();
        assertThat(watermark.finished(4, true)).isZero();
        assertThat(watermark.finished(6, true)).isZero();
        assertThat(watermark.finished(1, true)).as("1 and 2 done, 3 not").isEqualTo(2);
        assertThat(watermark.finished(5, true)).isZero();
        assertThat(watermark.finished(3, true)).as("all done").isEqualTo(6);
        assertThat(watermark.pending()).isZero();
    }

    @Test
    void deliveries_settled_on_their_own_are_passed_over_but_never_the_tag_of_an_ack() {
        AckWatermark watermark = delivered(1, 5);

        assertThat(watermark.finished(1, true)).isEqualTo(1);
        // 2 was handed back alone (nack): nothing to ack for it.
        assertThat(watermark.finished(2, false)).isZero();
        assertThat(watermark.finished(4, false)).isZero();
        // 3 committed: the ack reaches 3, not 4 (settled on its own already).
        assertThat(watermark.finished(3, true)).isEqualTo(3);
        assertThat(watermark.finished(5, true)).isEqualTo(5);
    }

    @Test
    void nothing_is_acked_twice_and_unknown_or_finished_tags_are_refused() {
        AckWatermark watermark = delivered(10, 12);
        assertThat(watermark.finished(10, true)).isEqualTo(10);

        assertThatThrownBy(() -> watermark.finished(10, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> watermark.finished(13, true)).isInstanceOf(IllegalArgumentException.class);
        assertThat(watermark.finished(12, true)).isZero();
        assertThatThrownBy(() -> watermark.finished(12, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> watermark.delivered(12)).as("tags only increase")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(watermark.lowestPending()).isEqualTo(11);
    }

    @Test
    void tags_keep_increasing_across_a_recovery_with_a_gap() {
        AckWatermark watermark = delivered(1, 3);
        // After a recovery amqp-client continues above the highest tag it saw.
        watermark.delivered(7);
        watermark.delivered(8);
        assertThat(watermark.finished(7, true)).isZero();
        assertThat(watermark.finished(1, false)).isZero();
        assertThat(watermark.finished(2, false)).isZero();
        assertThat(watermark.finished(3, false)).isEqualTo(7);
        assertThat(watermark.finished(8, true)).isEqualTo(8);
    }

    /** Random orders of finishing: every ack is sent only when all below it are finished, and they increase. */
    @Test
    void in_any_order_each_ack_covers_only_finished_deliveries_and_the_last_one_reaches_the_end() {
        Random random = new Random(42);
        for (int run = 0; run < 200; run++) {
            int n = 1 + random.nextInt(300);
            AckWatermark watermark = delivered(1, n);
            List<Long> order = new ArrayList<>();
            for (long tag = 1; tag <= n; tag++) {
                order.add(tag);
            }
            Collections.shuffle(order, random);
            boolean[] done = new boolean[n + 1];
            long lastAck = 0;
            long highestCommitted = 0;
            for (long tag : order) {
                boolean committed = random.nextInt(10) != 0;
                if (committed) {
                    highestCommitted = Math.max(highestCommitted, tag);
                }
                done[(int) tag] = true;
                long ack = watermark.finished(tag, committed);
                if (ack > 0) {
                    assertThat(ack).isGreaterThan(lastAck);
                    for (int below = 1; below <= ack; below++) {
                        assertThat(done[below]).as("delivery " + below + " finished before the ack of " + ack).isTrue();
                    }
                    lastAck = ack;
                }
            }
            assertThat(lastAck).as("the last ack reaches the highest committed delivery").isEqualTo(highestCommitted);
            assertThat(watermark.pending()).isZero();
        }
    }
}
