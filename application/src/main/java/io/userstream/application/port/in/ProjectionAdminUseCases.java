package io.userstream.application.port.in;

import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;

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

    /**
     * Which users of the named projection's table differ from the fold of their stream (see
     * {@link io.userstream.application.port.out.Projections#verify}). {@code limit} 0 lists
     * {@link #DEFAULT_VERIFY_LIMIT}; more than {@link #MAX_VERIFY_LIMIT} or less than 0 is invalid input.
     * A projection that keeps no table is a {@link PreconditionFailedException}.
     */
    ProjectionVerification verifyProjection(String name, int limit);

    /** Differing users listed by {@link #verifyProjection} when no limit is given. */
    int DEFAULT_VERIFY_LIMIT = 20;

    /** The most differing users {@link #verifyProjection} lists. */
    int MAX_VERIFY_LIMIT = 1000;
}
