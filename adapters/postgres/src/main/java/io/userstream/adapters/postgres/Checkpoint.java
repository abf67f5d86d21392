package io.userstream.adapters.postgres;

/**
 * A place in the event log in commit-safe order: the inserting transaction's id (xid8) and the
 * event's position. Subscriptions read strictly after their checkpoint.
 *
 * @param transactionId xid8 as a number (epoch and xid; fits a signed long for 2^31 epochs)
 * @param position      global position of the event
 */
record Checkpoint(long transactionId, long position) implements Comparable<Checkpoint> {

    /** Before the first event. */
    static final Checkpoint START = new Checkpoint(0, 0);

    /** The log's own order: by transaction id, then by position (as {@code (transaction_id, position)} in SQL). */
    @Override
    public int compareTo(Checkpoint other) {
        int byTransaction = Long.compare(transactionId, other.transactionId);
        return byTransaction != 0 ? byTransaction : Long.compare(position, other.position);
    }

    /** Whether every event up to {@code other} is also at or before this checkpoint. */
    boolean hasReached(Checkpoint other) {
        return compareTo(other) >= 0;
    }

    @Override
    public String toString() {
        return transactionId + "/" + position;
    }
}
