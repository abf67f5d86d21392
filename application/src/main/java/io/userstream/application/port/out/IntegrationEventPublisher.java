package io.userstream.application.port.out;

import java.util.List;

/**
 * Publishes user events to other services as integration events (the outbox relay's target).
 * Delivery is at-least-once: the relay calls again with the same events after any failure, so
 * implementations need not (and cannot) avoid duplicates; consumers deduplicate on the event id.
 */
public interface IntegrationEventPublisher {

    /**
     * Publishes {@code events} in order and returns only once the broker has confirmed every one of
     * them (persisted). Throws if it cannot; nothing is then known about which ones arrived.
     */
    void publish(List<RecordedUserEvent> events);
}
