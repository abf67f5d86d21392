package io.userstream.cli;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.userstream.proto.admin.v1.RebuildPhase;
import io.userstream.proto.admin.v1.RebuildProgress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts: exit codes, error lines, the progress line, durations and tables. */
class CliFormattingTest {

    @Test
    void every_status_code_has_a_documented_exit_code() {
        assertThat(ExitCode.of(Status.Code.OK)).isZero();
        assertThat(ExitCode.of(Status.Code.NOT_FOUND)).isEqualTo(3);
        for (Status.Code rejected : List.of(Status.Code.INVALID_ARGUMENT, Status.Code.ALREADY_EXISTS,
                Status.Code.FAILED_PRECONDITION, Status.Code.OUT_OF_RANGE)) {
            assertThat(ExitCode.of(rejected)).as(rejected.name()).isEqualTo(4);
        }
        assertThat(ExitCode.of(Status.Code.UNAUTHENTICATED)).isEqualTo(5);
        assertThat(ExitCode.of(Status.Code.PERMISSION_DENIED)).isEqualTo(5);
        for (Status.Code retry : List.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.ABORTED,
                Status.Code.RESOURCE_EXHAUSTED)) {
            assertThat(ExitCode.of(retry)).as(retry.name()).isEqualTo(6);
        }
        assertThat(ExitCode.of(Status.Code.INTERNAL)).isEqualTo(1);
        assertThat(ExitCode.USAGE).isEqualTo(CommandLine.ExitCode.USAGE);
    }

    @Test
    void an_error_line_names_the_status_the_message_and_every_offending_field() {
        StatusRuntimeException invalid = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage("invalid input")
                .addDetails(Any.pack(BadRequest.newBuilder()
                        .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("email")
                                .setDescription("must be a valid e-mail address"))
                        .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("username")
                                .setDescription("must be 3-32 characters"))
                        .build()))
                .build());

        assertThat(Failures.describe(invalid)).isEqualTo("INVALID_ARGUMENT (email, username): invalid input "
                + "[email: must be a valid e-mail address; username: must be 3-32 characters]");
        assertThat(Failures.exitCode(invalid)).isEqualTo(ExitCode.REJECTED);
    }

    @Test
    void a_field_the_message_already_explains_is_named_once() {
        StatusRuntimeException invalid = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage("invalid request: new_email must be an e-mail address")
                .addDetails(Any.pack(BadRequest.newBuilder()
                        .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("new_email")
                                .setDescription("must be an e-mail address"))
                        .build()))
                .build());

        assertThat(Failures.describe(invalid))
                .isEqualTo("INVALID_ARGUMENT (new_email): invalid request: new_email must be an e-mail address");
    }

    @Test
    void an_error_line_tells_when_to_retry() {
        StatusRuntimeException exhausted = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("password hashing is saturated")
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setNanos(250_000_000)).build()))
                .build());

        assertThat(Failures.describe(exhausted))
                .isEqualTo("RESOURCE_EXHAUSTED: password hashing is saturated (retry after 250ms)");
        assertThat(Failures.exitCode(exhausted)).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(Failures.describe(Status.NOT_FOUND.withDescription("no user 42").asRuntimeException()))
                .isEqualTo("NOT_FOUND: no user 42");
    }

    @Test
    void the_progress_line_shows_done_total_percent_rate_and_eta() {
        RebuildProgress applying = RebuildProgress.newBuilder().setPhase(RebuildPhase.APPLYING_EVENTS)
                .setDone(1_500).setTotal(5_000).setEventsPerSecond(2_400.4)
                .setEta(com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(500_000_000)).build();

        assertThat(RebuildProgressView.render(applying, true)).isEqualTo(
                "applying events [#########.....................] 1,500/5,000   30%  2,400 ev/s  ETA 1.5s");
        assertThat(RebuildProgressView.render(applying, false))
                .isEqualTo("applying events 1,500/5,000   30%  2,400 ev/s  ETA 1.5s");

        RebuildProgress indexing = applying.toBuilder().setPhase(RebuildPhase.BUILDING_INDEXES).setDone(5_000)
                .setIndexesBuilt(1).setIndexesToBuild(3).clearEta().build();
        assertThat(RebuildProgressView.render(indexing, false))
                .isEqualTo("building indexes 1/3  5,000 events  2,400 ev/s  ETA ?");
        assertThat(RebuildProgressView.bar(2.0)).isEqualTo("[" + "#".repeat(30) + "]");
        assertThat(RebuildProgressView.render(RebuildProgress.getDefaultInstance(), false))
                .isEqualTo("applying events 0/0  100%  0 ev/s  ETA ?");
    }

    @Test
    void the_summary_tells_events_duration_and_rate() {
        assertThat(RebuildProgressView.summary("user_read_model", 12_000, Duration.ofMillis(3_000)))
                .isEqualTo("rebuilt user_read_model: 12,000 events in 3.0s (4,000 events/s)");
        assertThat(Output.duration(Duration.ofSeconds(245))).isEqualTo("4m05s");
        assertThat(Output.duration(Duration.ofMinutes(123))).isEqualTo("2h03m");
    }

    @Test
    void durations_are_written_the_short_way_or_in_iso_8601() {
        assertThat(ConnectionOptions.DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ConnectionOptions.DurationConverter.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(ConnectionOptions.DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ConnectionOptions.DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ConnectionOptions.DurationConverter.parse("PT3S")).isEqualTo(Duration.ofSeconds(3));
        for (String wrong : List.of("", "10", "ten s", "-1s", "0s")) {
            assertThatThrownBy(() -> ConnectionOptions.DurationConverter.parse(wrong)).as(wrong)
                    .isInstanceOf(CommandLine.TypeConversionException.class);
        }
    }

    @Test
    void tables_align_columns_and_keep_one_row_per_line() {
        String table = Output.Table.render(new String[] {"ID", "NAME"},
                List.of(new String[] {"1", "alice"}, new String[] {"22", "bob\nby"}));
        assertThat(table.lines()).containsExactly("ID  NAME", "1   alice", "22  bob by");
    }
}
