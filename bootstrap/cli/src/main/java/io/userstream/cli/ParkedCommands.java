package io.userstream.cli;

import io.userstream.proto.admin.v1.ListParkedEventsRequest;
import io.userstream.proto.admin.v1.ListParkedEventsResponse;
import io.userstream.proto.admin.v1.ParkedEvent;
import io.userstream.proto.admin.v1.RetryParkedEventRequest;
import io.userstream.proto.admin.v1.RetryParkedEventResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code userstream parked ...}: events projections gave up on (ProjectionAdmin, scope users:admin). */
@Command(name = "parked", description = "Events a projection parked (dead-lettered), and retrying them (admin).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {ParkedCommands.ListParked.class, ParkedCommands.Retry.class})
final class ParkedCommands extends CommandGroup {

    @Command(name = "list", description = "Parked events with their error.")
    static final class ListParked extends ClientCommand {
        @Option(names = "--projection", paramLabel = "NAME", description = "Only this projection's (default: every one).")
        String projection;

        @Override
        public Integer call() {
            ListParkedEventsResponse parked = clients().admin().listParkedEvents(ListParkedEventsRequest.newBuilder()
                    .setName(projection == null ? "" : projection).build());
            Output output = output();
            if (output.json()) {
                output.json(parked);
                return ExitCode.OK;
            }
            List<String[]> rows = new ArrayList<>();
            for (ParkedEvent event : parked.getEventsList()) {
                rows.add(Output.row(event.getProjection(), Long.toString(event.getPosition()), event.getEventType(),
                        event.getStreamId(), Long.toString(event.getVersion()), Integer.toString(event.getAttempts()),
                        Output.time(event.getParkedAt()), event.getError()));
            }
            output.table(Output.row("PROJECTION", "POSITION", "EVENT", "USER", "VERSION", "ATTEMPTS", "PARKED", "ERROR"),
                    rows);
            return ExitCode.OK;
        }
    }

    @Command(name = "retry", description = "Apply a parked event again; unparked on success (exit 1 if it fails again).")
    static final class Retry extends ClientCommand {
        @Parameters(index = "0", paramLabel = "PROJECTION") String projection;
        @Parameters(index = "1", paramLabel = "POSITION", description = "The event's position, from `parked list`.")
        long position;

        @Override
        public Integer call() {
            RetryParkedEventResponse result = clients().admin().retryParkedEvent(RetryParkedEventRequest.newBuilder()
                    .setName(projection).setPosition(position).build());
            Output output = output();
            if (output.json()) {
                output.json(result);
            } else if (result.getApplied()) {
                output.line("applied: the event at position " + position + " is no longer parked by " + projection);
            } else {
                output.line("failed again: " + result.getError());
            }
            return result.getApplied() ? ExitCode.OK : ExitCode.FAILED;
        }
    }
}
