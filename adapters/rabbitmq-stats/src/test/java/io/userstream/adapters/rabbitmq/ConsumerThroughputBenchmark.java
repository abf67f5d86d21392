package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.AMQP;
import io.userstream.domain.stats.UserActivity;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How fast the stats consumer drains its queue, against a bare consume-and-ack loop on the same kind of
 * queue (quorum, same prefetch, same messages), on the real RabbitMQ and PostgreSQL. Not a test: run with
 * {@code ops/bench-consumer.sh [events=20000] [users=1000] [rounds=3] [batch] [workers]} (batch and workers:
 * the defaults of {@link RabbitUserActivityConsumer.Batching#DEFAULT}, prefetch twice the batch per worker).
 *
 * <p>Each round publishes the events (each user's in order, interleaved) to a fresh queue, then times
 * (1) a bare consumer that acks every message as it arrives, (2) the stats consumer with the default
 * batching, from its start until the observer has counted every event. The figure of the issue is the
 * ratio (2)/(1) in events per second, which must be at least 0.5. It then measures a lone event's latency
 * (publish to committed stats) 200 times, one at a time.
 */
public final class ConsumerThroughputBenchmark {

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int users = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        RabbitUserActivityConsumer.Batching defaults = RabbitUserActivityConsumer.Batching.DEFAULT;
        RabbitUserActivityConsumer.Batching batching = RabbitUserActivityConsumer.Batching.of(
                args.length > 3 ? Integer.parseInt(args[3]) : defaults.maxBatch(),
                args.length > 4 ? Integer.parseInt(args[4]) : defaults.workers(), defaults.linger());
        System.out.printf("%d events of %d users, batching %s%n", events, users, batching);
        for (int round = 1; round <= rounds; round++) {
            double bare = bareRate(events, users, batching.prefetch());
            double stats = consumerRate(events, users, batching);
            System.out.printf("round %d: bare consume-and-ack %.0f events/s, stats consumer %.0f events/s, ratio %.2f%n",
                    round, bare, stats, stats / bare);
        }
        latency(200, batching);
    }

    private static List<UserActivity> stream(ConsumerFixture fixture, int events, int users) {
        Random random = new Random(11);
        List<List<UserActivity>> histories = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            histories.add(fixture.newUser(events / users - 1, random));
        }
        List<UserActivity> all = new ArrayList<>();
        int[] next = new int[users];
        List<Integer> open = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            open.add(u);
        }
        while (!open.isEmpty()) {
            int pick = random.nextInt(open.size());
            int u = open.get(pick);
            all.add(histories.get(u).get(next[u]++));
            if (next[u] == histories.get(u).size()) {
                Collections.swap(open, pick, open.size() - 1);
                open.removeLast();
            }
        }
        return all;
    }

    private static void publishAll(ConsumerFixture fixture, List<UserActivity> all) throws Exception {
        fixture.admin.confirmSelect();
        for (UserActivity event : all) {
            fixture.publish(event);
        }
        fixture.admin.waitForConfirmsOrDie(60_000);
    }

    private static double bareRate(int events, int users, int prefetch) throws Exception {
        try (ConsumerFixture fixture = new ConsumerFixture()) {
            List<UserActivity> all = stream(fixture, events, users);
            publishAll(fixture, all);
            Channel channel = fixture.connection.createChannel();
            channel.basicQos(prefetch);
            CountDownLatch done = new CountDownLatch(all.size());
            long start = System.nanoTime();
            channel.basicConsume(fixture.names.queue(), false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    UserActivityMessages.toActivity(body);
                    channel.basicAck(envelope.getDeliveryTag(), false);
                    done.countDown();
                }
            });
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the bare loop did not finish");
            }
            double rate = all.size() / ((System.nanoTime() - start) / 1e9);
            channel.close();
            return rate;
        }
    }

    private static double consumerRate(int events, int users, RabbitUserActivityConsumer.Batching batching)
            throws Exception {
        try (ConsumerFixture fixture = new ConsumerFixture()) {
            List<UserActivity> all = stream(fixture, events, users);
            publishAll(fixture, all);
            long start = System.nanoTime();
            fixture.start(batching, 3);
            ConsumerFixture.await("every event consumed", Duration.ofMinutes(5),
                    () -> fixture.observer.total.get() == all.size());
            return all.size() / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static void latency(int samples, RabbitUserActivityConsumer.Batching batching) throws Exception {
        try (ConsumerFixture fixture = new ConsumerFixture()) {
            fixture.start(batching, 3);
            Random random = new Random(5);
            long[] micros = new long[samples];
            for (int i = 0; i < samples; i++) {
                UserActivity created = fixture.newUser(0, random).getFirst();
                long before = fixture.observer.total.get();
                long start = System.nanoTime();
                fixture.publish(created);
                while (fixture.observer.total.get() == before) {
                    Thread.onSpinWait();
                }
                micros[i] = (System.nanoTime() - start) / 1_000;
            }
            java.util.Arrays.sort(micros);
            System.out.printf("lone event, publish to committed stats (%d samples): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    samples, micros[samples / 2] / 1e3, micros[samples * 99 / 100] / 1e3, micros[samples - 1] / 1e3);
        }
    }
}
