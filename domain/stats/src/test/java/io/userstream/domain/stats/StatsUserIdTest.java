package io.userstream.domain.stats;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatsUserIdTest {

    @Test
    void parses_a_canonical_uuid_in_either_case_with_surrounding_blanks() {
        UUID id = UUID.fromString("0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
        assertThat(StatsUserId.parse("user_id", " 0190C8A2-6F3E-7B1A-9C4D-2E5F6A7B8C9D ")).isEqualTo(id);
    }

    @Test
    void refuses_a_missing_id_naming_the_field() {
        assertThatThrownBy(() -> StatsUserId.parse("user_id", " "))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.violations())
                        .containsExactly(new InvalidRequestException.Violation("user_id", "is required")))
                .hasMessage("invalid request: user_id is required");
    }

    @Test
    void refuses_garbage_and_the_short_forms_uuid_accepts() {
        for (String raw : new String[] {"not-a-uuid", "1-2-3-4-5"}) {
            assertThatThrownBy(() -> StatsUserId.parse("user_id", raw))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.violations())
                            .containsExactly(new InvalidRequestException.Violation("user_id", StatsUserId.NOT_A_UUID)));
        }
    }
}
