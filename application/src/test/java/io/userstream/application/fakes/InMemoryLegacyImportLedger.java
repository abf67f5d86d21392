package io.userstream.application.fakes;

import io.userstream.application.port.out.LegacyImportLedger;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@link LegacyImportLedger} in a map; it can lose its next write, as a crash between append and ledger would. */
public final class InMemoryLegacyImportLedger implements LegacyImportLedger {

    private final Map<String, Entry> entries = new HashMap<>();
    private boolean loseNextWrite;

    @Override
    public synchronized Optional<Entry> find(String source, String legacyId) {
        return Optional.ofNullable(entries.get(source + "\u0000" + legacyId));
    }

    @Override
    public synchronized void record(Entry entry) {
        if (loseNextWrite) {
            loseNextWrite = false;
            return;
        }
        entries.put(entry.source() + "\u0000" + entry.legacyId(), entry);
    }

    /** The next {@link #record} is dropped. */
    public synchronized void loseNextWrite() {
        loseNextWrite = true;
    }
}
