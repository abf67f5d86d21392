package io.userstream.application.service;

import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.in.PreconditionFailedException;
import io.userstream.application.port.in.ProjectionAdminUseCases;
import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.application.port.out.Projections;
import io.userstream.domain.user.FieldViolations;

import java.util.List;
import java.util.Optional;

/** Operator actions on projections, with their arguments checked before anything runs. */
public final class ProjectionAdminService implements ProjectionAdminUseCases {

    private final Projections projections;

    public ProjectionAdminService(Projections projections) {
        this.projections = projections;
    }

    @Override
    public List<ProjectionStatus> listProjections() {
        return projections.statuses();
    }

    @Override
    public ProjectionStatus rebuildProjection(String name) {
        return projections.requestRebuild(known(name));
    }

    @Override
    public long replayStream(String name, String userId) {
        String projection = known(name);
        return projections.replayStream(projection, UserCommandService.parseId(userId));
    }

    @Override
    public List<ParkedEvent> listParkedEvents(String name) {
        return projections.parkedEvents(name == null || name.isBlank() ? Optional.empty() : Optional.of(known(name)));
    }

    @Override
    public Optional<String> retryParkedEvent(String name, long position) {
        String projection = known(name);
        boolean parked = projections.parkedEvents(Optional.of(projection)).stream()
                .anyMatch(event -> event.position() == position);
        if (!parked) {
            throw new NotFoundException("no event at position " + position + " is parked by " + projection);
        }
        return projections.retryParkedEvent(projection, position);
    }

    @Override
    public ProjectionVerification verifyProjection(String name, int limit) {
        String projection = known(name);
        FieldViolations violations = new FieldViolations();
        if (limit < 0 || limit > MAX_VERIFY_LIMIT) {
            violations.add("limit", "must be between 0 (the default, " + DEFAULT_VERIFY_LIMIT + ") and "
                    + MAX_VERIFY_LIMIT);
        }
        violations.throwIfAny();
        return projections.verify(projection, limit == 0 ? DEFAULT_VERIFY_LIMIT : limit)
                .orElseThrow(() -> new PreconditionFailedException(
                        projection + " keeps no table to verify: its effect is outside the database"));
    }

    private String known(String name) {
        if (name == null || !projections.names().contains(name)) {
            throw new NotFoundException("no projection named '" + name + "'; known: " + projections.names());
        }
        return name;
    }
}
