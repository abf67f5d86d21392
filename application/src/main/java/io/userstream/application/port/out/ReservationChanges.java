package io.userstream.application.port.out;

import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reservations an append claims and releases.
 *
 * @param claim   values to take for the stream; the append fails if another stream holds one
 * @param release values the stream gives up
 */
public record ReservationChanges(List<Reservation> claim, List<Reservation> release) {

    public static final ReservationChanges NONE = new ReservationChanges(List.of(), List.of());

    public ReservationChanges {
        claim = List.copyOf(claim);
        release = List.copyOf(release);
    }

    /**
     * The reservation changes implied by new events on a user ({@code before} is null for a new user):
     * creation claims the e-mail address and username, an e-mail change swaps the address, deletion
     * frees both so they can be used again, and so does erasure (if the user was not deleted before).
     * The events are taken in order, each on the state the previous ones left, and what one claims and a
     * later one releases cancels out: a legacy user imported as created-then-deleted holds nothing.
     */
    public static ReservationChanges impliedBy(User before, List<UserEvent> events) {
        // +1 per claim, -1 per release, in first-seen order; the sum says what the whole append does.
        Map<Reservation, Integer> net = new LinkedHashMap<>();
        User state = before;
        for (UserEvent event : events) {
            switch (event) {
                case UserEvent.UserCreated created -> {
                    count(net, Reservation.of(created.email()), 1);
                    count(net, Reservation.of(created.username()), 1);
                }
                case UserEvent.EmailChanged changed -> {
                    Reservation oldKey = Reservation.of(changed.oldEmail());
                    Reservation newKey = Reservation.of(changed.newEmail());
                    // A change of case only keeps the same key: nothing to swap.
                    if (!oldKey.equals(newKey)) {
                        count(net, oldKey, -1);
                        count(net, newKey, 1);
                    }
                }
                case UserEvent.UserDeleted deleted -> {
                    count(net, Reservation.of(state.email()), -1);
                    count(net, Reservation.of(state.username()), -1);
                }
                case UserEvent.UserErased erased -> {
                    // A deleted user has released both already.
                    if (state.status() != UserStatus.DELETED) {
                        count(net, Reservation.of(state.email()), -1);
                        count(net, Reservation.of(state.username()), -1);
                    }
                }
                case UserEvent.PasswordChanged ignored -> { }
                case UserEvent.ProfileUpdated ignored -> { }
                case UserEvent.UserActivated ignored -> { }
                case UserEvent.UserDeactivated ignored -> { }
            }
            state = state == null ? User.fromHistory(List.of(event)) : state.evolve(event);
        }
        List<Reservation> claim = new ArrayList<>();
        List<Reservation> release = new ArrayList<>();
        net.forEach((key, sum) -> {
            if (sum > 0) {
                claim.add(key);
            } else if (sum < 0) {
                release.add(key);
            }
        });
        return new ReservationChanges(claim, release);
    }

    private static void count(Map<Reservation, Integer> net, Reservation key, int delta) {
        net.merge(key, delta, Integer::sum);
    }
}
