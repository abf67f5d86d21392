package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;

import java.io.IOException;
import java.util.Map;

/**
 * Names and declarations of the broker objects. Declarations are idempotent (same arguments every
 * time), so every process declares what it uses at start and after reconnecting.
 */
final class Topology {

    /** Durable topic exchange of user-service's integration events. */
    static final String EXCHANGE = "userstream.events";
    /** user-stats' queue: durable, quorum (replicated), dead-lettering to {@link #STATS_DLX}. */
    static final String STATS_QUEUE = "user-stats.user-events";
    static final String STATS_DLX = "user-stats.dlx";
    static final String STATS_DLQ = "user-stats.user-events.dlq";
    /** Deliveries of one message before the broker itself dead-letters it (a safety net behind our own limit). */
    static final int BROKER_DELIVERY_LIMIT = 10;

    private Topology() {
    }

    static void declareExchange(Channel channel) throws IOException {
        channel.exchangeDeclare(EXCHANGE, BuiltinExchangeType.TOPIC, true);
    }

    static void declareStatsQueues(Channel channel) throws IOException {
        declareExchange(channel);
        channel.exchangeDeclare(STATS_DLX, BuiltinExchangeType.FANOUT, true);
        channel.queueDeclare(STATS_DLQ, true, false, false, Map.of("x-queue-type", "quorum"));
        channel.queueBind(STATS_DLQ, STATS_DLX, "");
        channel.queueDeclare(STATS_QUEUE, true, false, false, Map.of(
                "x-queue-type", "quorum",
                "x-dead-letter-exchange", STATS_DLX,
                "x-delivery-limit", BROKER_DELIVERY_LIMIT));
        channel.queueBind(STATS_QUEUE, EXCHANGE, "user.#");
    }
}
