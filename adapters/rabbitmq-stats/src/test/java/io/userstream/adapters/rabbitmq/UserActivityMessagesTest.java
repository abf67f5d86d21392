package io.userstream.adapters.rabbitmq;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decoding; that user-service's messages decode to the right activities is IntegrationContractTest's (bootstrap). */
class UserActivityMessagesTest {

    @Test
    void a_body_that_is_not_a_user_event_is_refused_as_poison() {
        assertThatThrownBy(() -> UserActivityMessages.toActivity("garbage".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UserActivityMessages.toActivity(new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no data");
    }
}
