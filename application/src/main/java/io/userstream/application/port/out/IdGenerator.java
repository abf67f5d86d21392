package io.userstream.application.port.out;

import java.util.UUID;

/** Source of new user and event ids, replaceable in tests. */
@FunctionalInterface
public interface IdGenerator {
    UUID newId();
}
