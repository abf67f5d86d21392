package io.userstream.application.port.in;

import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;

import java.util.List;

/**
 * What an operator can do with projections. Names are checked: an unknown projection or parked
 * event is a {@link NotFoundException}; a malformed argument an
 * {@link io.userstream.domain.user.UserRejectedException} with {@code InvalidInput}.
 */
public interface ProjectionAdminUseCases {

    /** Status of every projection. */
    List<ProjectionStatus> listProjections();

    /** Starts (or joins) a rebuild of the named projection. */
    ProjectionStatus rebuildProjection(String name);

    /** Re-applies one user's stream to the named projection; returns the number of events applied. */
    long replayStream(String name, String userId);

    /** Parked events of one projection, or of all when {@code name} is empty. */
    List<ParkedEvent> listParkedEvents(String name);

    /** Retries a parked event; returns empty when it was applied, else the new error. */
    java.util.Optional<String> retryParkedEvent(String name, long position);
}
