package io.userstream.application.fakes;

import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An in-memory {@link UserEventStore} with the contract of the real one: an append commits its events
 * and reservation changes together or not at all, only if the stream is at the expected version and
 * no other stream holds a reservation it claims.
 *
 * <p>Test hooks simulate concurrent writers: {@link #forceVersionConflicts(int)} refuses the next
 * appends as if someone else had appended first, {@link #beforeNextAppend(Runnable)} really lets
 * someone else write between a command's load and its append.
 */
public final class InMemoryUserEventStore implements UserEventStore {

    private final Map<UserId, List<RecordedUserEvent>> streams = new LinkedHashMap<>();
    private final Map<Reservation, UserId> reservations = new HashMap<>();
    private final List<AppendRequest> appendRequests = new ArrayList<>();
    private final List<AppendOutcome> appendOutcomes = new ArrayList<>();
    private final TimeSource recordingClock;
    private long nextPosition = 1;
    private int loads;
    private int heldReads;
    private int conflictsToForce;
    private Runnable beforeNextAppend;

    public InMemoryUserEventStore(TimeSource recordingClock) {
        this.recordingClock = recordingClock;
    }

    public InMemoryUserEventStore() {
        this(() -> Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Override
    public synchronized List<RecordedUserEvent> load(UserId userId) {
        loads++;
        return List.copyOf(streams.getOrDefault(userId, List.of()));
    }

    @Override
    public synchronized AppendOutcome append(AppendRequest request) {
        appendRequests.add(request);
        Runnable hook = beforeNextAppend;
        if (hook != null) {
            // Cleared first, so that the concurrent writer's own append goes straight through.
            beforeNextAppend = null;
            hook.run();
        }
        AppendOutcome outcome = tryAppend(request);
        appendOutcomes.add(outcome);
        return outcome;
    }

    @Override
    public synchronized List<Reservation> held(List<Reservation> wanted) {
        heldReads++;
        return wanted.stream().filter(reservations::containsKey).toList();
    }

    @Override
    public synchronized Optional<UserId> holder(Reservation reservation) {
        return Optional.ofNullable(reservations.get(reservation));
    }

    private AppendOutcome tryAppend(AppendRequest request) {
        if (conflictsToForce > 0) {
            conflictsToForce--;
            return new AppendOutcome.VersionConflict();
        }
        UserId id = request.userId();
        for (NewUserEvent event : request.events()) {
            if (!event.event().userId().equals(id)) {
                throw new IllegalArgumentException("event " + event + " does not belong to stream " + id);
            }
        }
        List<RecordedUserEvent> stream = streams.getOrDefault(id, List.of());
        if (stream.size() != request.expectedVersion()) {
            return new AppendOutcome.VersionConflict();
        }
        if (stream.isEmpty() != (request.events().getFirst().event() instanceof UserEvent.UserCreated)) {
            throw new IllegalArgumentException("a stream starts with UserCreated, and only there");
        }
        for (Reservation claim : request.reservations().claim()) {
            UserId owner = reservations.get(claim);
            if (owner != null && !owner.equals(id)) {
                return new AppendOutcome.ReservationTaken(claim);
            }
        }
        for (Reservation release : request.reservations().release()) {
            if (!id.equals(reservations.get(release))) {
                // The real store would silently do nothing; here it points at a bookkeeping bug.
                throw new IllegalStateException("stream " + id + " releases " + release + ", which it does not hold");
            }
        }
        // Everything checked: commit it all.
        request.reservations().release().forEach(reservations::remove);
        request.reservations().claim().forEach(claim -> reservations.put(claim, id));
        List<RecordedUserEvent> updated = new ArrayList<>(stream);
        Instant recordedAt = recordingClock.now();
        for (NewUserEvent event : request.events()) {
            updated.add(new RecordedUserEvent(event.eventId(), updated.size() + 1, nextPosition++, event.event(),
                    request.metadata(), recordedAt));
        }
        streams.put(id, updated);
        return new AppendOutcome.Appended(updated.size());
    }

    // ---- test hooks ----

    /** The next {@code count} appends fail with {@link AppendOutcome.VersionConflict} and store nothing. */
    public synchronized void forceVersionConflicts(int count) {
        conflictsToForce = count;
    }

    /** Runs {@code writer} once, inside the next append, before that append is checked: a concurrent writer. */
    public synchronized void beforeNextAppend(Runnable writer) {
        beforeNextAppend = writer;
    }

    // ---- inspection ----

    /** The stream of one user (empty if it has none). */
    public synchronized List<RecordedUserEvent> events(UserId id) {
        return List.copyOf(streams.getOrDefault(id, List.of()));
    }

    /** Every stored event of every stream, in global position order. */
    public synchronized List<RecordedUserEvent> allEvents() {
        return streams.values().stream().flatMap(List::stream)
                .sorted(Comparator.comparingLong(RecordedUserEvent::position)).toList();
    }

    /** Every append asked for, successful or not, in order. */
    public synchronized List<AppendRequest> appendRequests() {
        return List.copyOf(appendRequests);
    }

    /** What each of {@link #appendRequests()} came to. */
    public synchronized List<AppendOutcome> appendOutcomes() {
        return List.copyOf(appendOutcomes);
    }

    /** The stream that holds {@code reservation}, if any. */
    public synchronized Optional<UserId> ownerOf(Reservation reservation) {
        return Optional.ofNullable(reservations.get(reservation));
    }

    /** A snapshot of all reservations and their owners. */
    public synchronized Map<Reservation, UserId> reservations() {
        return Map.copyOf(reservations);
    }

    /** How many times {@link #held} was asked. */
    public synchronized int heldReads() {
        return heldReads;
    }

    /** How many times a stream was loaded. */
    public synchronized int loads() {
        return loads;
    }
}
