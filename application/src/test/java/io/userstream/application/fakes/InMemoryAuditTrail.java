package io.userstream.application.fakes;

import io.userstream.application.port.out.AuditTrail;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.view.AuditEntry;
import io.userstream.domain.user.UserId;

import java.util.List;

/**
 * An {@link AuditTrail} over an {@link InMemoryUserEventStore}: every stored event with its envelope
 * and metadata. The data's JSON form (and its redaction) is the real adapter's business, so here
 * {@link AuditEntry#dataJson()} is always {@code {}}.
 */
public final class InMemoryAuditTrail implements AuditTrail {

    private final InMemoryUserEventStore store;

    public InMemoryAuditTrail(InMemoryUserEventStore store) {
        this.store = store;
    }

    @Override
    public List<AuditEntry> history(UserId userId) {
        return store.events(userId).stream().map(InMemoryAuditTrail::entry).toList();
    }

    private static AuditEntry entry(RecordedUserEvent recorded) {
        return new AuditEntry(recorded.eventId(), recorded.event().getClass().getSimpleName(), recorded.version(),
                recorded.position(), recorded.event().occurredAt(), recorded.recordedAt(),
                recorded.metadata().correlationId(), recorded.metadata().causationId().orElse(""),
                recorded.metadata().actor(), "{}");
    }
}
