package io.userstream.bootstrap;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The runnable artifact as a user gets it, after {@code package}: {@code target/userstream-user-service.jar} and the {@code target/libs/}
 * its manifest names. user-service's carries none of user-stats-service's code: the inverse of UserStatsServiceArtifactIT.
 */
class UserServiceArtifactIT extends ServiceArtifactContract {

    @Override
    protected String service() {
        return "user-service";
    }

    @Override
    protected String mainClass() {
        return "io.userstream.bootstrap.UserServiceMain";
    }

    @Override
    protected Pattern forbiddenJars() {
        return Pattern.compile("userstream-(domain-stats|application-stats|adapter-[a-z]+-stats)-\\d.*\\.jar");
    }

    @Override
    protected List<String> forbiddenEntries() {
        return List.of(
                "io/userstream/adapters/postgres/PostgresUserStatsStore.class",
                "io/userstream/adapters/rabbitmq/RabbitUserActivityConsumer.class",
                "io/userstream/application/service/UserStatsService.class",
                "io/userstream/domain/stats/UserStats.class",
                "io/userstream/adapters/grpc/UserStatsGrpcService.class",
                "io/userstream/bootstrap/UserStatsServiceMain.class",
                "db/migration/stats/V1__user_stats.sql",
                "user-stats-service.yaml");
    }

    @Override
    protected List<String> requiredEntries() {
        return List.of(
                "io/userstream/bootstrap/UserServiceMain.class",
                "io/userstream/adapters/postgres/PostgresUserEventStore.class",
                "io/userstream/adapters/crypto/Argon2idPasswordHasher.class",
                "db/migration/users/V1__event_store.sql",
                "user-service.yaml");
    }

    @Override
    protected String listedVariable() {
        return "USERSTREAM_DB_URL";
    }
}
