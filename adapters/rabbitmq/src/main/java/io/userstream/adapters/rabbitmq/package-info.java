/**
 * RabbitMQ adapter (official amqp-client): publishes user events as protobuf integration events
 * ({@code userstream.events.v1}) with publisher confirms, and consumes them for user-stats with
 * manual acks and a dead-letter queue. Knows the application's ports and the proto contract only.
 */
package io.userstream.adapters.rabbitmq;
