package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;

import java.io.IOException;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Names and declarations of the broker objects. Declarations are idempotent (same arguments every
 * time), so every process declares what it uses at start and after reconnecting.
 */
final class Topology {

    private static final Logger LOG = Logger.getLogger(Topology.class.getName());

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

    /**
     * Declares user-stats' queues: quorum queues dead-lettering to {@link #STATS_DLX}; or, with
     * {@code quorum} off (a broker that has no quorum queues, such as the embedded one), durable classic
     * queues without broker-side dead-lettering or delivery limit, which the log says.
     */
    static void declareStatsQueues(Channel channel, boolean quorum) throws IOException {
        declareStatsQueues(channel, quorum, StatsNames.DEFAULT);
    }

    /** Like {@link #declareStatsQueues(Channel, boolean)}, under other names (tests own their queues). */
    static void declareStatsQueues(Channel channel, boolean quorum, StatsNames names) throws IOException {
        channel.exchangeDeclare(names.exchange(), BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(names.dlx(), BuiltinExchangeType.FANOUT, true);
        if (quorum) {
            channel.queueDeclare(names.dlq(), true, false, false, Map.of("x-queue-type", "quorum"));
            channel.queueDeclare(names.queue(), true, false, false, Map.of(
                    "x-queue-type", "quorum",
                    "x-dead-letter-exchange", names.dlx(),
                    "x-delivery-limit", BROKER_DELIVERY_LIMIT));
        } else {
            LOG.warning(() -> "quorum queues are off (an AMQP broker without them): " + STATS_QUEUE + " and "
                    + STATS_DLQ + " are classic queues, and a message the consumer gives up on is dropped by the broker"
                    + " instead of going to " + STATS_DLQ + "; the consumer still counts deliveries and logs it."
                    + " Use RabbitMQ for anything but trying userstream out.");
            channel.queueDeclare(names.dlq(), true, false, false, Map.of());
            channel.queueDeclare(names.queue(), true, false, false, Map.of());
        }
        channel.queueBind(names.dlq(), names.dlx(), "");
        channel.queueBind(names.queue(), names.exchange(), "user.#");
    }

    /** The names of the exchange user-stats' queue is bound to, of the queue, its dead-letter exchange and queue. */
    record StatsNames(String exchange, String queue, String dlx, String dlq) {
        static final StatsNames DEFAULT = new StatsNames(EXCHANGE, STATS_QUEUE, STATS_DLX, STATS_DLQ);
    }
}
