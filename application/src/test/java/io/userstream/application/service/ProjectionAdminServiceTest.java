package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.in.PreconditionFailedException;
import io.userstream.application.port.out.Projections;
import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection.InvalidInput;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The checks {@link ProjectionAdminService} makes before a verification runs. */
class ProjectionAdminServiceTest {

    /** A table-keeping projection and one whose effect is elsewhere; records the limits asked for. */
    private final List<Integer> limits = new ArrayList<>();
    private final ProjectionAdminService admin = new ProjectionAdminService(new Projections() {
        @Override
        public List<String> names() {
            return List.of("table", "relay");
        }

        @Override
        public Optional<ProjectionVerification> verify(String name, int limit) {
            limits.add(limit);
            return name.equals("table")
                    ? Optional.of(new ProjectionVerification("0/0", 0, 0, 0, List.of())) : Optional.empty();
        }

        @Override
        public List<ProjectionStatus> statuses() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ProjectionStatus requestRebuild(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long replayStream(String name, UserId userId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ParkedEvent> parkedEvents(Optional<String> name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<String> retryParkedEvent(String name, long position) {
            throw new UnsupportedOperationException();
        }
    });

    @Test
    void no_limit_means_the_default_and_the_maximum_is_allowed() {
        admin.verifyProjection("table", 0);
        admin.verifyProjection("table", 1000);
        assertThat(limits).containsExactly(20, 1000);
    }

    @Test
    void a_limit_out_of_range_is_invalid_input_naming_limit() {
        for (int limit : new int[] {-1, 1001}) {
            Throwable failure = catchThrowable(() -> admin.verifyProjection("table", limit));
            assertThat(((UserRejectedException) failure).rejection()).isInstanceOfSatisfying(InvalidInput.class,
                    invalid -> assertThat(invalid.toString()).contains("limit"));
        }
        assertThat(limits).isEmpty();
    }

    @Test
    void an_unknown_projection_is_not_found_and_one_without_a_table_a_failed_precondition() {
        assertThat(catchThrowable(() -> admin.verifyProjection("nope", 0))).isInstanceOf(NotFoundException.class);
        assertThat(catchThrowable(() -> admin.verifyProjection("relay", 0)))
                .isInstanceOf(PreconditionFailedException.class).hasMessageContaining("relay");
    }
}
