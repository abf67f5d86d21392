package io.userstream.cli;

import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.ListProjectionsResponse;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.admin.v1.ProjectionState;
import io.userstream.proto.admin.v1.RebuildProgress;
import io.userstream.proto.admin.v1.RebuildProjectionRequest;
import io.userstream.proto.admin.v1.ReplayStreamRequest;
import io.userstream.proto.admin.v1.ReplayStreamResponse;
import io.userstream.proto.admin.v1.FieldDifference;
import io.userstream.proto.admin.v1.UserDifference;
import io.userstream.proto.admin.v1.VerifyProjectionRequest;
import io.userstream.proto.admin.v1.VerifyProjectionResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code userstream projections ...}: the read side's status, rebuild and replay (ProjectionAdmin, users:admin). */
@Command(name = "projections", description = "Projections' status, rebuild and replay (admin).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                ProjectionsCommands.ListProjections.class,
                ProjectionsCommands.Rebuild.class,
                ProjectionsCommands.Replay.class,
                ProjectionsCommands.Verify.class,
        })
final class ProjectionsCommands extends CommandGroup {

    static final String[] HEADER = {"NAME", "STATE", "CHECKPOINT", "LAG", "LAG_S", "PARKED", "REBUILD", "LAST ERROR"};

    static String[] row(Projection projection) {
        String rebuild = "";
        if (projection.hasRebuild()) {
            RebuildProgress progress = projection.getRebuild();
            rebuild = RebuildProgressView.render(progress, false);
        }
        return Output.row(projection.getName(), projection.getState().name(), projection.getCheckpoint(),
                Long.toString(projection.getLagEvents()),
                String.format(Locale.ROOT, "%.1f", projection.getLagSeconds()),
                Long.toString(projection.getParkedEvents()), rebuild, projection.getLastError());
    }

    @Command(name = "list", description = "Every projection: state, checkpoint, lag, parked events, rebuild progress.")
    static final class ListProjections extends ClientCommand {
        @Override
        public Integer call() {
            ListProjectionsResponse projections = clients().admin().listProjections(ListProjectionsRequest.getDefaultInstance());
            Output output = output();
            if (output.json()) {
                output.json(projections);
                return ExitCode.OK;
            }
            List<String[]> rows = new ArrayList<>();
            for (Projection projection : projections.getProjectionsList()) {
                rows.add(row(projection));
            }
            output.table(HEADER, rows);
            return ExitCode.OK;
        }
    }

    @Command(name = "replay", description = "Re-apply one user's whole stream to a projection (repairs its row).")
    static final class Replay extends ClientCommand {
        @Parameters(index = "0", paramLabel = "PROJECTION") String name;
        @Parameters(index = "1", paramLabel = "USER_ID") String userId;

        @Override
        public Integer call() {
            ReplayStreamResponse replayed = clients().admin().replayStream(
                    ReplayStreamRequest.newBuilder().setName(name).setUserId(userId).build());
            Output output = output();
            if (output.json()) {
                output.json(replayed);
            } else {
                output.line("replayed " + replayed.getEventsReplayed() + " events of user " + userId + " into " + name);
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "verify", description = {
            "Compare the projection's table with the fold of every stream, in one snapshot.",
            "Exit 0 if no user differs, 1 if some do (listed; personal fields named, never shown)."})
    static final class Verify extends ClientCommand {
        @Parameters(paramLabel = "PROJECTION") String name;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Differing users listed: 0 means 20; at most 1000.")
        int limit;

        @Override
        public Integer call() {
            VerifyProjectionResponse verified = clients().admin().verifyProjection(
                    VerifyProjectionRequest.newBuilder().setName(name).setLimit(limit).build());
            Output output = output();
            if (output.json()) {
                output.json(verified);
            } else {
                output.line(String.format(Locale.ROOT, "%s at %s: %s users checked, %s differ, %s skipped (still catching up)",
                        name, verified.getCheckpoint(), Output.count(verified.getUsersChecked()),
                        Output.count(verified.getUsersDiffering()), Output.count(verified.getUsersSkipped())));
                if (verified.getDifferencesCount() > 0) {
                    List<String[]> rows = new ArrayList<>();
                    for (UserDifference difference : verified.getDifferencesList()) {
                        List<String> fields = new ArrayList<>();
                        for (FieldDifference field : difference.getFieldsList()) {
                            fields.add(field.getPersonal() ? field.getField()
                                    : field.getField() + ": expected '" + field.getExpected() + "', is '" + field.getActual() + "'");
                        }
                        rows.add(Output.row(difference.getUserId(), difference.getKind().name(), String.join("; ", fields)));
                    }
                    output.table(Output.row("USER", "DIFFERENCE", "FIELDS"), rows);
                }
            }
            return verified.getUsersDiffering() == 0 ? ExitCode.OK : ExitCode.FAILED;
        }
    }

    @Command(name = "rebuild",
            description = {
                    "Rebuild a projection from the start of the log into a shadow table while the live one keeps "
                            + "serving, and wait for the swap, showing progress on stderr; then a summary "
                            + "(with -o json: the projection as JSON).",
                    "Exit 1 if the rebuild failed, 6 if --timeout passed first (the rebuild goes on in the service)."})
    static final class Rebuild extends ClientCommand {
        @Parameters(paramLabel = "PROJECTION", description = "e.g. user_read_model, outbox_relay (see `projections list`).")
        String name;
        @Option(names = "--no-wait", description = "Return once the rebuild is requested.")
        boolean noWait;
        @Option(names = "--progress", negatable = true,
                description = "Force the live progress bar (--progress) or turn progress off (--no-progress). "
                        + "Default: the bar on a terminal, a plain line every 5 s otherwise.")
        Boolean progress;
        @Option(names = "--timeout", paramLabel = "DURATION", converter = ConnectionOptions.DurationConverter.class,
                description = "Stop waiting after this long (default: wait until it ends).")
        Duration timeout;
        @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "500ms", hidden = true,
                converter = ConnectionOptions.DurationConverter.class)
        Duration pollInterval;

        /** How long the first looks come quickly ({@link #START_POLL}), so that even a short rebuild shows progress. */
        static final Duration START_GRACE = Duration.ofSeconds(2);
        /** Polls this often until the rebuild shows up, so that even a short one is seen. */
        static final Duration START_POLL = Duration.ofMillis(50);

        @Override
        public Integer call() throws InterruptedException {
            long started = System.nanoTime();
            Projection requested = clients().admin().rebuildProjection(RebuildProjectionRequest.newBuilder().setName(name).build());
            Output output = output();
            if (noWait) {
                print(output, requested);
                return ExitCode.OK;
            }
            RebuildProgressView view = new RebuildProgressView(err(), mode(), name);
            RebuildProgress last = requested.hasRebuild() ? requested.getRebuild() : null;
            boolean stoppedNoted = false;
            Projection current = requested;
            while (true) {
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                if (timeout != null && elapsed.compareTo(timeout) >= 0) {
                    view.finish();
                    throw new CliException(ExitCode.UNAVAILABLE, "the rebuild of " + name + " did not end within "
                            + Output.duration(timeout) + "; it goes on in the service (`projections list` shows it)");
                }
                Thread.sleep((last == null && elapsed.compareTo(START_GRACE) < 0 ? START_POLL : pollInterval).toMillis());
                current = find(clients().admin().listProjections(ListProjectionsRequest.getDefaultInstance()));
                if (current.hasRebuild()) {
                    last = current.getRebuild();
                    view.update(last);
                    continue;
                }
                if (current.getState() == ProjectionState.FAILED
                        && (last != null || requested.getState() != ProjectionState.FAILED)) {
                    view.finish();
                    if (output.json()) {
                        output.json(current);
                    }
                    throw new CliException(ExitCode.FAILED, "the rebuild of " + name + " failed: " + current.getLastError());
                }
                if (current.getRebuildRequested()) {
                    // Asked for, not started yet (or started and gone between two looks, with the next one queued).
                    if (current.getState() == ProjectionState.STOPPED && !stoppedNoted) {
                        stoppedNoted = true;
                        err().println("note: no instance runs " + name + " now; the rebuild starts when one does");
                        err().flush();
                    }
                    continue;
                }
                break; // neither running nor asked for any more: swapped in
            }
            view.finish();
            Duration took = last != null && last.hasStartedAt()
                    ? Duration.between(Instant.ofEpochSecond(last.getStartedAt().getSeconds(), last.getStartedAt().getNanos()),
                    Instant.now())
                    : Duration.ofNanos(System.nanoTime() - started);
            long events = last == null ? -1 : Math.max(last.getDone(), last.getTotal());
            String summary = events < 0
                    ? "rebuilt " + name + " in " + Output.duration(took) + " (too quick to see its progress)"
                    : RebuildProgressView.summary(name, events, took);
            if (output.json()) {
                err().println(summary);
                err().flush();
                output.json(current);
            } else {
                output.line(summary);
                output.table(HEADER, List.<String[]>of(row(current)));
            }
            return ExitCode.OK;
        }

        private Projection find(ListProjectionsResponse projections) {
            return projections.getProjectionsList().stream().filter(p -> p.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new CliException(ExitCode.NOT_FOUND, "projection " + name + " is no longer listed"));
        }

        private static void print(Output output, Projection projection) {
            if (output.json()) {
                output.json(projection);
            } else {
                output.table(HEADER, List.<String[]>of(row(projection)));
            }
        }

        private RebuildProgressView.Mode mode() {
            if (progress != null) {
                return progress ? RebuildProgressView.Mode.BAR : RebuildProgressView.Mode.NONE;
            }
            return isTerminal() ? RebuildProgressView.Mode.BAR : RebuildProgressView.Mode.LINES;
        }

        /** Whether a person watches: a console that is a terminal (Console.isTerminal() from Java 22 on). */
        static boolean isTerminal() {
            java.io.Console console = System.console();
            if (console == null) {
                return false;
            }
            try {
                Method isTerminal = java.io.Console.class.getMethod("isTerminal");
                return (Boolean) isTerminal.invoke(console);
            } catch (ReflectiveOperationException e) {
                return true; // before Java 22, System.console() is null unless on a terminal
            }
        }
    }
}
