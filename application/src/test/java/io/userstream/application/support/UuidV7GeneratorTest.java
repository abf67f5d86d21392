package io.userstream.application.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class UuidV7GeneratorTest {

    final UuidV7Generator generator = new UuidV7Generator();

    static long timestampOf(UUID id) {
        return id.getMostSignificantBits() >>> 16;
    }

    @Test
    void ids_are_version_7_variant_2_and_distinct() {
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            UUID id = generator.newId();
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
            assertThat(id.toString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            seen.add(id);
        }
        assertThat(seen).hasSize(10_000);
    }

    @Test
    void the_leading_48_bits_are_the_unix_time_in_milliseconds() {
        long before = System.currentTimeMillis();
        UUID id = generator.newId();
        long after = System.currentTimeMillis();

        assertThat(timestampOf(id)).isBetween(before, after);
    }

    @Test
    void an_id_from_a_later_millisecond_sorts_after_an_earlier_one() {
        UUID first = generator.newId();
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.currentTimeMillis() <= timestampOf(first)) {
            assertThat(System.nanoTime()).as("the clock should advance within 2 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
        UUID second = generator.newId();

        assertThat(timestampOf(second)).isGreaterThan(timestampOf(first));
        assertThat(second.toString()).isGreaterThan(first.toString());
    }

    @Test
    void ids_sort_by_their_millisecond_across_many_milliseconds() {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        UUID previous = generator.newId();
        int millisecondsCrossed = 0;
        while (millisecondsCrossed < 5 && System.nanoTime() < deadline) {
            UUID next = generator.newId();
            if (timestampOf(next) != timestampOf(previous)) {
                assertThat(timestampOf(next)).isGreaterThan(timestampOf(previous));
                assertThat(next.toString()).isGreaterThan(previous.toString());
                millisecondsCrossed++;
            }
            previous = next;
        }
        assertThat(millisecondsCrossed).isEqualTo(5);
    }
}
