package io.userstream.application.fakes;

import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.domain.stats.UserActivity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * An in-memory {@link UserDirectory}: user-service as far as stats see it. Tests record each user's
 * events with {@link #record}; {@link #setUnavailable} plays user-service being down, and
 * {@link #beforeEachHistory} runs a hook inside every history call (to line up concurrent callers, or to
 * let "someone else" act while the service waits for the answer).
 */
public final class InMemoryUserDirectory implements UserDirectory {

    private final Map<UUID, List<UserActivity>> histories = new LinkedHashMap<>();
    private final List<Integer> pageSizes = new ArrayList<>();
    private boolean unavailable;
    private volatile Runnable beforeEachHistory = () -> { };
    private int historyCalls;

    /** Appends events to their users' histories, in the order given. */
    public synchronized void record(UserActivity... events) {
        for (UserActivity event : events) {
            histories.computeIfAbsent(event.userId(), id -> new ArrayList<>()).add(event);
        }
    }

    public synchronized void setUnavailable(boolean unavailable) {
        this.unavailable = unavailable;
    }

    public void beforeEachHistory(Runnable hook) {
        this.beforeEachHistory = hook;
    }

    @Override
    public Optional<List<UserActivity>> history(UUID userId) {
        synchronized (this) {
            historyCalls++;
            if (unavailable) {
                throw new UserDirectoryUnavailableException("user-service is down (test)");
            }
        }
        // Outside the monitor, so that concurrent callers can all be inside history() at once.
        beforeEachHistory.run();
        synchronized (this) {
            List<UserActivity> history = histories.get(userId);
            return history == null ? Optional.empty() : Optional.of(List.copyOf(history));
        }
    }

    /** Pages in the order users were first recorded; the token is the offset of the page. */
    @Override
    public synchronized DirectoryPage listUserIds(String pageToken, int pageSize) {
        if (unavailable) {
            throw new UserDirectoryUnavailableException("user-service is down (test)");
        }
        pageSizes.add(pageSize);
        List<UUID> ids = List.copyOf(histories.keySet());
        int from = pageToken.isEmpty() ? 0 : Integer.parseInt(pageToken);
        int to = Math.min(ids.size(), from + pageSize);
        return new DirectoryPage(ids.subList(from, to), to < ids.size() ? Integer.toString(to) : "");
    }

    public synchronized int historyCalls() {
        return historyCalls;
    }

    /** The page size of every {@link #listUserIds} call, in order. */
    public synchronized List<Integer> pageSizes() {
        return List.copyOf(pageSizes);
    }
}
