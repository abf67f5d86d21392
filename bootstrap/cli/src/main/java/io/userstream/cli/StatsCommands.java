package io.userstream.cli;

import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.StatsStatus;
import io.userstream.proto.userstats.v1.UserStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code userstream stats ...}: UserStatsService on --stats-service. */
@Command(name = "stats", description = "Users' activity stats (UserStatsService).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = StatsCommands.Get.class)
final class StatsCommands extends CommandGroup {

    @Command(name = "get", description = "A user's stats; repaired from user-service's history if missing.")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "USER_ID") String id;

        @Override
        public Integer call() {
            UserStats stats = clients().stats().getUserStats(GetUserStatsRequest.newBuilder().setUserId(id).build());
            Output output = output();
            if (output.json()) {
                output.json(stats);
                return ExitCode.OK;
            }
            output.record(List.of(
                    Output.row("user id", stats.getUserId()),
                    Output.row("status", stats.getStatus() == StatsStatus.STATS_STATUS_UNSPECIFIED ? "" : stats.getStatus().name()),
                    Output.row("member since", Output.time(stats.getMemberSince())),
                    Output.row("profile updates", Long.toString(stats.getProfileUpdates())),
                    Output.row("email changes", Long.toString(stats.getEmailChanges())),
                    Output.row("password changes", Long.toString(stats.getPasswordChanges())),
                    Output.row("last activity", Output.time(stats.getLastActivityAt())),
                    Output.row("last event version", Long.toString(stats.getLastEventVersion())),
                    Output.row("repaired at", Output.time(stats.getRepairedAt())),
                    Output.row("updated", Output.time(stats.getUpdatedAt()))));
            return ExitCode.OK;
        }
    }
}
