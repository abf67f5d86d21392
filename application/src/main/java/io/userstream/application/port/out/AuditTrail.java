package io.userstream.application.port.out;

import io.userstream.application.view.AuditEntry;
import io.userstream.domain.user.UserId;

import java.util.List;

/**
 * Every recorded event of a user with its metadata, for people who need to know who changed what
 * and when. Read from the event log itself, so it is complete and current, not a projection.
 */
public interface AuditTrail {

    /** The user's events, oldest first (by version); empty if the user never existed. */
    List<AuditEntry> history(UserId userId);
}
