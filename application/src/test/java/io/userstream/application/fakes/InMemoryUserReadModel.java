package io.userstream.application.fakes;

import io.userstream.application.port.out.UserPage;
import io.userstream.application.port.out.UserReadModel;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * An in-memory {@link UserReadModel} with the contract of the PostgreSQL one. Tests play the
 * projection with {@link #put}: the read model shows a user only once a test has put it there, so a
 * lagging projection is simply a put that has not happened yet.
 */
public final class InMemoryUserReadModel implements UserReadModel {

    /** PostgreSQL orders uuids by their bytes, unsigned; {@link UUID#compareTo} compares signed longs. */
    public static final Comparator<UUID> DATABASE_ORDER = Comparator
            .comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
            .thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

    private final Map<UUID, UserView> rows = new TreeMap<>(DATABASE_ORDER);
    private int reads;

    /** Writes (inserts or replaces) the row of {@code view}'s user, as the projection would. */
    public synchronized void put(UserView view) {
        rows.put(view.id().value(), view);
    }

    @Override
    public synchronized Optional<UserView> findById(UserId id) {
        reads++;
        return Optional.ofNullable(rows.get(id.value()));
    }

    @Override
    public synchronized Optional<UserView> findByEmail(String emailKey) {
        reads++;
        return rows.values().stream()
                .filter(row -> row.status() != UserStatus.DELETED)
                .filter(row -> row.email().toLowerCase(Locale.ROOT).equals(emailKey))
                .findFirst();
    }

    @Override
    public synchronized Optional<UserView> findByUsername(String username) {
        reads++;
        return rows.values().stream()
                .filter(row -> row.status() != UserStatus.DELETED)
                .filter(row -> row.username().equals(username))
                .findFirst();
    }

    @Override
    public synchronized UserPage list(Optional<UUID> after, int limit, Optional<UserStatus> status) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        reads++;
        List<UserView> matching = rows.values().stream()
                .filter(row -> after.isEmpty() || DATABASE_ORDER.compare(row.id().value(), after.get()) > 0)
                .filter(row -> status.isEmpty() || row.status() == status.get())
                .limit(limit + 1L)
                .toList();
        return new UserPage(matching.subList(0, Math.min(limit, matching.size())), matching.size() > limit);
    }

    /** How many times the read model was read, by any method. */
    public synchronized int reads() {
        return reads;
    }
}
