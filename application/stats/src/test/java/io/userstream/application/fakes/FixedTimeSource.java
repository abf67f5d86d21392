package io.userstream.application.fakes;

import io.userstream.application.port.out.TimeSource;

import java.time.Duration;
import java.time.Instant;

/** A clock that stands still until a test moves it. */
public final class FixedTimeSource implements TimeSource {

    private Instant now;

    public FixedTimeSource(Instant now) {
        this.now = now;
    }

    @Override
    public synchronized Instant now() {
        return now;
    }

    public synchronized void set(Instant instant) {
        now = instant;
    }

    /** Moves the clock forward and returns the new time. */
    public synchronized Instant advance(Duration duration) {
        now = now.plus(duration);
        return now;
    }
}
