package io.userstream.adapters.postgres;

import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.UserId;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One row of the event log as a subscription reads it: raw, so that an event that cannot be decoded
 * fails in its handler (and is retried, then parked) instead of stopping the reader. {@code dataKey} is the
 * user's key to its personal data, null once the user is erased (or for a user written before encryption).
 */
record LoggedEvent(long transactionId, long position, UUID eventId, UUID streamId, long version, String eventType,
                   int schemaVersion, String payload, String metadata, Instant occurredAt, Instant recordedAt,
                   byte[] dataKey) {

    Checkpoint checkpoint() {
        return new Checkpoint(transactionId, position);
    }

    /** Decodes the row; throws if its type, schema version or payload is not understood. */
    RecordedUserEvent decode(UserEventCodec codec) {
        EventMetadata eventMetadata = codec.metadata(metadata);
        return new RecordedUserEvent(eventId, version, position,
                codec.decode(new UserId(streamId), eventType, schemaVersion, payload, occurredAt,
                        Optional.ofNullable(dataKey)),
                eventMetadata, recordedAt);
    }
}
