package io.userstream.application.fakes;

import io.userstream.application.port.out.IdGenerator;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Predictable ids: {@code 00000000-0000-7000-8000-000000000001}, then …002, and so on. */
public final class SequentialIdGenerator implements IdGenerator {

    private final List<UUID> issued = new ArrayList<>();

    @Override
    public synchronized UUID newId() {
        UUID id = nth(issued.size() + 1);
        issued.add(id);
        return id;
    }

    /** The id this generator hands out {@code n}-th (1-based). */
    public static UUID nth(long n) {
        return new UUID(0x7000L, 0x8000_0000_0000_0000L | n);
    }

    /** Every id handed out, in order. */
    public synchronized List<UUID> issued() {
        return List.copyOf(issued);
    }
}
