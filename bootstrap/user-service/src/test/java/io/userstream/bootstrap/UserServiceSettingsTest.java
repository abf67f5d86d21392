package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.userstream.adapters.postgres.GroupCommitSettings;
import io.userstream.application.support.BoundedPasswordHasher;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The password hashing pool's keys under {@code userstream.argon2}, and group commit's under {@code userstream.events.group}. */
class UserServiceSettingsTest {

    private static UserServiceSettings settings(Map<String, String> values) {
        return UserServiceSettings.from(Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(values))
                .build());
    }

    @Test
    void without_keys_the_pool_has_one_thread_fewer_than_the_processors_and_twice_as_many_waiting() {
        assertThat(settings(Map.of()).hashing()).isEqualTo(BoundedPasswordHasher.Limits.defaults());
    }

    @Test
    void threads_alone_sets_the_queue_to_twice_as_many() {
        assertThat(settings(Map.of("userstream.argon2.threads", "3")).hashing())
                .isEqualTo(new BoundedPasswordHasher.Limits(3, 6));
    }

    @Test
    void threads_and_queue_are_taken_as_given() {
        assertThat(settings(Map.of("userstream.argon2.threads", "2", "userstream.argon2.queue", "0")).hashing())
                .isEqualTo(new BoundedPasswordHasher.Limits(2, 0));
    }

    @Test
    void nonsense_limits_refuse_to_start() {
        assertThatThrownBy(() -> settings(Map.of("userstream.argon2.threads", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
    }

    @Test
    void group_commit_is_on_by_default_and_can_be_turned_off_or_tuned() {
        assertThat(settings(Map.of()).groupCommit()).isEqualTo(GroupCommitSettings.DEFAULTS);
        assertThat(settings(Map.of("userstream.events.group.commit", "false")).groupCommit().enabled()).isFalse();
        assertThat(settings(Map.of("userstream.events.group.committers", "3", "userstream.events.group.max", "64",
                "userstream.events.group.wait", "500", "userstream.events.group.inline", "2")).groupCommit())
                .isEqualTo(new GroupCommitSettings(true, 3, 64, Duration.ofMillis(500), 2));
    }
}
