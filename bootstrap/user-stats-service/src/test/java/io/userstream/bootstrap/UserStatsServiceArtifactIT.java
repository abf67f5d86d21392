package io.userstream.bootstrap;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The runnable artifact as a user gets it, after {@code package}: {@code target/userstream-user-stats-service.jar} and the {@code target/libs/}
 * its manifest names. user-stats-service's carries no event store, no write side and no password hashing: a user would notice it carrying
 * them (and their jars), and ArchitectureTest's rules alone would not show what the build packs.
 */
class UserStatsServiceArtifactIT extends ServiceArtifactContract {

    @Override
    protected String service() {
        return "user-stats-service";
    }

    @Override
    protected String mainClass() {
        return "io.userstream.bootstrap.UserStatsServiceMain";
    }

    @Override
    protected Pattern forbiddenJars() {
        return Pattern.compile("(userstream-(domain|application|adapter-(postgres|crypto|grpc|rabbitmq|metrics))-\\d.*|bcprov-.*|bcpkix-.*|bcutil-.*)\\.jar");
    }

    @Override
    protected List<String> forbiddenEntries() {
        return List.of(
                "io/userstream/adapters/postgres/PostgresUserEventStore.class",
                "io/userstream/adapters/postgres/PostgresProjections.class",
                "io/userstream/adapters/postgres/OutboxRelay.class",
                "io/userstream/adapters/postgres/PostgresDatabase.class",
                "io/userstream/domain/user/User.class",
                "io/userstream/domain/user/UserEvent.class",
                "io/userstream/application/service/UserCommandService.class",
                "io/userstream/application/port/out/UserEventStore.class",
                "io/userstream/application/port/out/PasswordHasher.class",
                "io/userstream/adapters/crypto/Argon2idPasswordHasher.class",
                "org/bouncycastle/crypto/generators/Argon2BytesGenerator.class",
                "io/userstream/adapters/rabbitmq/RabbitIntegrationEventPublisher.class",
                "io/userstream/adapters/grpc/UserGrpcService.class",
                "io/userstream/bootstrap/UserServiceMain.class",
                "db/migration/users/V1__event_store.sql",
                "user-service.yaml");
    }

    @Override
    protected List<String> requiredEntries() {
        return List.of(
                "io/userstream/bootstrap/UserStatsServiceMain.class",
                "io/userstream/application/service/UserStatsService.class",
                "io/userstream/adapters/postgres/PostgresUserStatsStore.class",
                "io/userstream/adapters/rabbitmq/RabbitUserActivityConsumer.class",
                "io/userstream/adapters/grpc/UserStatsGrpcService.class",
                "db/migration/stats/V1__user_stats.sql",
                "user-stats-service.yaml");
    }

    @Override
    protected String listedVariable() {
        return "USERSTATS_DB_URL";
    }
}
