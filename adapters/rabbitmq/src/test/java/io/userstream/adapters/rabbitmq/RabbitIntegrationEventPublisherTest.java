package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

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

    private static RecordedUserEvent activated() {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return new RecordedUserEvent(UUID.randomUUID(), 2, 1, new UserEvent.UserActivated(new UserId(UUID.randomUUID()), at),
                new EventMetadata("corr", Optional.empty(), "tester"), at);
    }
}
