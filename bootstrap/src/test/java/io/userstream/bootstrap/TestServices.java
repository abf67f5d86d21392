package io.userstream.bootstrap;

import io.userstream.proto.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;

/**
 * A real user-service and a user-stats-service that asks it, started before a test class and
 * stopped (schemas dropped) after it. Register with
 * {@code @RegisterExtension static final TestServices services = new TestServices(relay);}.
 */
final class TestServices implements BeforeAllCallback, AfterAllCallback {

    private final boolean relay;
    private TestUserService userService;
    private TestUserStatsService statsService;

    /** @param relay whether user-service's outbox relay publishes events to user-stats-service's broker */
    TestServices(boolean relay) {
        this.relay = relay;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        userService = new TestUserService(relay);
        try {
            statsService = new TestUserStatsService("127.0.0.1:" + userService.app.grpcPort());
        } catch (RuntimeException e) {
            closeQuietly(userService, e);
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (statsService != null) {
                statsService.close();
            }
        } finally {
            if (userService != null) {
                userService.close();
            }
        }
    }

    TestUserService userService() {
        return userService;
    }

    TestUserStatsService statsService() {
        return statsService;
    }

    /** A stub for user-service with a generous deadline of its own (a deadline is fixed when a stub is made). */
    UserServiceGrpc.UserServiceBlockingStub users() {
        return UserServiceGrpc.newBlockingStub(userService.channel).withDeadlineAfter(Duration.ofMinutes(5));
    }

    private static void closeQuietly(AutoCloseable closeable, Exception primary) {
        try {
            closeable.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }
}
