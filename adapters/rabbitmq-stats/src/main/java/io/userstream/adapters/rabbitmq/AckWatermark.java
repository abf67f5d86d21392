package io.userstream.adapters.rabbitmq;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Which delivery tag a consumer whose deliveries are finished out of order (by several workers) may
 * acknowledge with one {@code basicAck(tag, multiple=true)}: the highest committed tag below the lowest
 * tag that is not finished yet. A multiple ack settles every outstanding delivery up to its tag, so it
 * must never reach past a delivery whose batch has not committed.
 *
 * <p>Each delivery is registered when it arrives ({@link #delivered}, in tag order) and finished once
 * ({@link #finished}): either committed, to be acknowledged by a later multiple ack, or settled on its
 * own already (rejected or handed back), which a multiple ack passes over since it is no longer
 * outstanding at the broker.
 *
 * <p>Not thread-safe: the consumer calls it under the lock it also sends its acks under, so that the acks
 * leave in increasing tag order.
 */
final class AckWatermark {

    /** Registered tags not passed yet, in increasing order. */
    private final ArrayDeque<Long> pending = new ArrayDeque<>();
    /** Tags of {@link #pending} finished out of order: true if committed, false if settled on their own. */
    private final Map<Long, Boolean> finished = new HashMap<>();
    private long lastDelivered;

    /**
     * Registers a delivery; tags must increase (amqp-client keeps them increasing across a recovery).
     *
     * @throws IllegalArgumentException if the tag does not follow the last one
     */
    void delivered(long tag) {
        if (tag <= lastDelivered) {
            throw new IllegalArgumentException("delivery tag " + tag + " after " + lastDelivered);
        }
        lastDelivered = tag;
        pending.addLast(tag);
    }

    /**
     * Marks a registered delivery finished.
     *
     * @param committed true if its batch committed (it is to be acked), false if it was settled on its own
     * @return the tag to acknowledge now with {@code multiple=true}, or 0 if the watermark passed no
     *         committed delivery (nothing to send)
     * @throws IllegalArgumentException if the tag is not pending (unknown, or finished already)
     */
    long finished(long tag, boolean committed) {
        if (pending.isEmpty() || tag < pending.peekFirst() || tag > lastDelivered
                || finished.putIfAbsent(tag, committed) != null) {
            throw new IllegalArgumentException("delivery tag " + tag + " is not pending");
        }
        long ackUpTo = 0;
        while (!pending.isEmpty()) {
            Boolean done = finished.remove(pending.peekFirst());
            if (done == null) {
                break;
            }
            long passed = pending.removeFirst();
            if (done) {
                ackUpTo = passed;
            }
        }
        return ackUpTo;
    }

    /** Deliveries registered and not finished yet, or finished but waiting behind one that is not. */
    int pending() {
        return pending.size();
    }

    /** The lowest tag not finished yet, or 0 if there is none. */
    long lowestPending() {
        return pending.isEmpty() ? 0 : pending.peekFirst();
    }
}
