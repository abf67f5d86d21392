/**
 * RabbitMQ adapter (official amqp-client): publishes user events as protobuf integration events
 * ({@code userstream.events.v1}) with publisher confirms (this module, adapters/rabbitmq: user-service's), and
 * consumes them for user-stats with manual acks and a dead-letter queue (adapters/rabbitmq-stats); the connection
 * settings and the topology both agree on are adapters/rabbitmq-common's. Knows the application's ports and the
 * proto contract only.
 */
package io.userstream.adapters.rabbitmq;
