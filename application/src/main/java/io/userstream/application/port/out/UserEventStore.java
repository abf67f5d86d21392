package io.userstream.application.port.out;

import io.userstream.domain.user.UserId;

import java.util.List;
import java.util.Optional;

/**
 * The append-only log of every user's events, one stream per user, with optimistic concurrency.
 *
 * <p>An append is all-or-nothing: the events, their metadata and the e-mail/username reservation
 * changes commit together or not at all. The shape (one request in, one outcome out) lets an
 * implementation do it in a single database round trip.
 */
public interface UserEventStore {

    /** The user's events, oldest first; empty if the user never existed. */
    List<RecordedUserEvent> load(UserId userId);

    /**
     * Appends events to a stream if, and only if, the stream is at {@code expectedVersion} and every
     * reservation to claim is free.
     *
     * @return what happened; conflicts are outcomes, not exceptions, because the caller handles them
     */
    AppendOutcome append(AppendRequest request);

    /**
     * Which of {@code reservations} a stream holds now. Advisory only: a value may be claimed or released
     * the moment after this answers, so {@link #append} stays the authority on uniqueness. It lets a
     * command refuse a value that is already taken before doing costly work for it (a password hash).
     *
     * @return the held ones among {@code reservations}, in no particular order; empty if none is held
     */
    List<Reservation> held(List<Reservation> reservations);

    /**
     * The user holding {@code reservation} now, read from the reservations that every append keeps in its
     * own transaction: unlike the read model, it is never behind the last acknowledged command.
     *
     * @return the holder; empty if nobody holds it
     */
    Optional<UserId> holder(Reservation reservation);
}
