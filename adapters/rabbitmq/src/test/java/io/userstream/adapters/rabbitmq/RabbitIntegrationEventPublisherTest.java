package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The outbox relay's publisher against the real RabbitMQ ({@code userstream_test} virtual host,
 * created by ops/setup.sh), on an exchange of the test's own.
 */
class RabbitIntegrationEventPublisherTest {

    private static final RabbitSettings RABBIT = new RabbitSettings("127.0.0.1", 5672, "guest", "guest",
            "userstream_test", Duration.ofSeconds(30));

    private final String exchange = "test.events." + UUID.randomUUID();
    private Connection connection;
    private Channel admin;
    private RabbitIntegrationEventPublisher publisher;

    @BeforeEach
    void open() throws Exception {
        connection = Connections.factory(RABBIT).newConnection("publisher test");
        admin = connection.createChannel();
        admin.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, false, true, null);
        publisher = new RabbitIntegrationEventPublisher(RABBIT, exchange);
    }

    @AfterEach
    void close() throws Exception {
        publisher.close();
        admin.exchangeDelete(exchange);
        connection.close();
    }

    @Test
    void a_batch_no_queue_is_bound_to_receive_fails_instead_of_being_confirmed_and_lost() throws Exception {
        RecordedUserEvent event = activated();

        assertThatThrownBy(() -> publisher.publish(List.of(event)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unroutable");

        // Once a queue is bound, the same batch goes through, and the next publish is not failed by the
        // earlier return.
        String queue = admin.queueDeclare().getQueue();
        admin.queueBind(queue, exchange, "user.#");
        publisher.publish(List.of(event));
        publisher.publish(List.of(activated()));
        GetResponse first = admin.basicGet(queue, true);
        assertThat(first).isNotNull();
        assertThat(first.getProps().getMessageId()).isEqualTo(event.eventId().toString());
        assertThat(admin.basicGet(queue, true)).as("the second batch").isNotNull();
    }

    @Test
    void a_batch_returned_while_the_next_is_in_flight_fails_alone_and_the_next_arrives_after_it() throws Exception {
        String queue = admin.queueDeclare().getQueue();
        admin.queueBind(queue, exchange, "user.created");
        RecordedUserEvent unroutable = activated();
        List<RecordedUserEvent> routable = List.of(created(), created());

        // Both handed over before the broker answered the first.
        CompletableFuture<Void> first = publisher.publishAsync(List.of(unroutable)).toCompletableFuture();
        CompletableFuture<Void> second = publisher.publishAsync(routable).toCompletableFuture();

        assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unroutable");
        second.get(30, TimeUnit.SECONDS);
        assertThat(drain(queue)).containsExactlyElementsOf(ids(routable));
    }

    @Test
    void many_batches_in_flight_are_each_confirmed_and_arrive_in_the_order_they_were_published() throws Exception {
        String queue = admin.queueDeclare().getQueue();
        admin.queueBind(queue, exchange, "user.#");
        List<RecordedUserEvent> all = new ArrayList<>();
        List<CompletableFuture<Void>> confirms = new ArrayList<>();
        for (int batch = 0; batch < 10; batch++) {
            List<RecordedUserEvent> events = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                events.add(i % 2 == 0 ? created() : activated());
            }
            all.addAll(events);
            confirms.add(publisher.publishAsync(events).toCompletableFuture());
        }

        CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(drain(queue)).containsExactlyElementsOf(ids(all));
    }

    @Test
    void a_batch_the_broker_refuses_fails_and_publishing_goes_on_afterwards() throws Exception {
        // A queue that takes one message and makes the broker refuse (nack) any further one.
        String queue = admin.queueDeclare("", false, true, true, Map.of("x-max-length", 1,
                "x-overflow", "reject-publish")).getQueue();
        admin.queueBind(queue, exchange, "user.#");
        RecordedUserEvent taken = activated();

        CompletableFuture<Void> first = publisher.publishAsync(List.of(taken)).toCompletableFuture();
        CompletableFuture<Void> refused = publisher.publishAsync(List.of(activated())).toCompletableFuture();

        first.get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nack");
        assertThat(drain(queue)).containsExactly(taken.eventId().toString());
        // The queue has room again: the next batch goes through (on a new channel).
        RecordedUserEvent later = activated();
        publisher.publish(List.of(later));
        assertThat(drain(queue)).containsExactly(later.eventId().toString());
    }

    /** Message ids of everything in {@code queue}, in queue order, taking them off it. */
    private List<String> drain(String queue) throws Exception {
        List<String> ids = new ArrayList<>();
        for (GetResponse message = admin.basicGet(queue, true); message != null; message = admin.basicGet(queue, true)) {
            ids.add(message.getProps().getMessageId());
        }
        return ids;
    }

    private static List<String> ids(List<RecordedUserEvent> events) {
        return events.stream().map(event -> event.eventId().toString()).toList();
    }

    private static RecordedUserEvent created() {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        UserId id = new UserId(UUID.randomUUID());
        String name = "u" + id.value().toString().substring(0, 8);
        return new RecordedUserEvent(UUID.randomUUID(), 1, 1, new UserEvent.UserCreated(id,
                Email.parse(name + "@example.com"), Username.parse(name), new PasswordHash("$argon2id$test"),
                Profile.EMPTY, at), new EventMetadata("corr", Optional.empty(), "tester"), at);
    }

    private static RecordedUserEvent activated() {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return new RecordedUserEvent(UUID.randomUUID(), 2, 1, new UserEvent.UserActivated(new UserId(UUID.randomUUID()), at),
                new EventMetadata("corr", Optional.empty(), "tester"), at);
    }
}
