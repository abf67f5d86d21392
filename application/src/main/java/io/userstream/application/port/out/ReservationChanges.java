package io.userstream.application.port.out;

import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserStatus;

import java.util.ArrayList;
import java.util.List;

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
     */
    public static ReservationChanges impliedBy(User before, List<UserEvent> events) {
        List<Reservation> claim = new ArrayList<>();
        List<Reservation> release = new ArrayList<>();
        for (UserEvent event : events) {
            switch (event) {
                case UserEvent.UserCreated created -> {
                    claim.add(Reservation.of(created.email()));
                    claim.add(Reservation.of(created.username()));
                }
                case UserEvent.EmailChanged changed -> {
                    Reservation oldKey = Reservation.of(changed.oldEmail());
                    Reservation newKey = Reservation.of(changed.newEmail());
                    // A change of case only keeps the same key: nothing to swap.
                    if (!oldKey.equals(newKey)) {
                        release.add(oldKey);
                        claim.add(newKey);
                    }
                }
                case UserEvent.UserDeleted deleted -> {
                    release.add(Reservation.of(before.email()));
                    release.add(Reservation.of(before.username()));
                }
                case UserEvent.UserErased erased -> {
                    // A deleted user has released both already.
                    if (before.status() != UserStatus.DELETED) {
                        release.add(Reservation.of(before.email()));
                        release.add(Reservation.of(before.username()));
                    }
                }
                case UserEvent.PasswordChanged ignored -> { }
                case UserEvent.ProfileUpdated ignored -> { }
                case UserEvent.UserActivated ignored -> { }
                case UserEvent.UserDeactivated ignored -> { }
            }
        }
        return new ReservationChanges(claim, release);
    }
}
