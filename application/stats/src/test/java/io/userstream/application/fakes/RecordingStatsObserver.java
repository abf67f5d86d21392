package io.userstream.application.fakes;

import io.userstream.application.port.out.StatsObserver;
import io.userstream.domain.stats.ConsumeResult;

import java.util.ArrayList;
import java.util.List;

/** A {@link StatsObserver} that remembers every observation, in order, for tests to assert on. */
public final class RecordingStatsObserver implements StatsObserver {

    private final List<ConsumeResult> consumed = new ArrayList<>();
    private final List<RepairOutcome> repaired = new ArrayList<>();
    private int deadLettered;

    @Override
    public synchronized void consumed(ConsumeResult result) {
        consumed.add(result);
    }

    @Override
    public synchronized void deadLettered() {
        deadLettered++;
    }

    @Override
    public synchronized void repaired(RepairOutcome outcome) {
        repaired.add(outcome);
    }

    public synchronized List<ConsumeResult> consumed() {
        return List.copyOf(consumed);
    }

    public synchronized List<RepairOutcome> repaired() {
        return List.copyOf(repaired);
    }

    public synchronized int deadLetters() {
        return deadLettered;
    }
}
