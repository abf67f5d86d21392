package io.userstream.application.port.out;

import java.time.Instant;

/** The clock the use cases read, replaceable in tests. */
@FunctionalInterface
public interface TimeSource {
    Instant now();
}
