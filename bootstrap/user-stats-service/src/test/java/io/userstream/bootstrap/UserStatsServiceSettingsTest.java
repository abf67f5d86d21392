package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.userstream.adapters.rabbitmq.RabbitUserActivityConsumer.Batching;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stats consumer's keys under {@code userstats.consumer}, and the check against the pool size. */
class UserStatsServiceSettingsTest {

    private static UserStatsServiceSettings settings(Map<String, String> values) {
        return UserStatsServiceSettings.from(Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(values))
                .build());
    }

    @Test
    void without_keys_two_workers_take_batches_of_4000_with_16000_in_flight() {
        Batching batching = settings(Map.of()).batching();

        assertThat(batching).isEqualTo(Batching.DEFAULT);
        assertThat(batching).isEqualTo(new Batching(4_000, 16_000, Duration.ofMillis(5), 2));
    }

    @Test
    void the_shipped_defaults_give_the_defaults() {
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.classpath(ServiceConfig.defaultsOf("user-stats-service")))
                .build();

        assertThat(UserStatsServiceSettings.from(config).batching()).isEqualTo(Batching.DEFAULT);
    }

    @Test
    void the_prefetch_follows_batch_and_workers_unless_given_and_stops_at_65535() {
        assertThat(settings(Map.of("userstats.consumer.workers", "3", "userstats.consumer.batch", "1000"))
                .batching()).isEqualTo(new Batching(1_000, 6_000, Duration.ofMillis(5), 3));
        assertThat(settings(Map.of("userstats.consumer.workers", "4", "userstats.consumer.batch", "10000",
                "userstats.db.pool.size", "10")).batching().prefetch()).isEqualTo(65_535);
        assertThat(settings(Map.of("userstats.consumer.prefetch", "5000", "userstats.consumer.batch", "500",
                "userstats.consumer.linger", "20")).batching())
                .isEqualTo(new Batching(500, 5_000, Duration.ofMillis(20), 2));
    }

    @Test
    void workers_as_many_as_the_pool_has_connections_refuse_to_start() {
        assertThat(settings(Map.of("userstats.consumer.workers", "7")).batching().workers()).isEqualTo(7);

        assertThatThrownBy(() -> settings(Map.of("userstats.consumer.workers", "8")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("userstats.consumer.workers (USERSTATS_CONSUMER_WORKERS) is 8")
                .hasMessageContaining("userstats.db.pool.size (USERSTATS_DB_POOL_SIZE), 8");
        assertThatThrownBy(() -> settings(Map.of("userstats.consumer.workers", "2", "userstats.db.pool.size", "2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be less than");
    }

    @Test
    void nonsense_batching_refuses_to_start() {
        assertThatThrownBy(() -> settings(Map.of("userstats.consumer.workers", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workers=0");
        assertThatThrownBy(() -> settings(Map.of("userstats.consumer.batch", "4000", "userstats.consumer.prefetch", "100")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefetch=100");
    }
}
