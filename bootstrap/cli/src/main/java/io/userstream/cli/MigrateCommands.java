package io.userstream.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.userstream.proto.admin.v1.ImportLegacyUserRequest;
import io.userstream.proto.admin.v1.ImportLegacyUserResponse;
import io.userstream.proto.admin.v1.LegacyMigrationGrpc;
import io.userstream.proto.admin.v1.LegacyUserStatus;
import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.ListUsersResponse;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code userstream migrate ...}: the guide's migration from a CRUD {@code users} table, phases 1 and 2. The legacy
 * table is read over JDBC (read only); every change goes through user-service's {@code LegacyMigration} API, so the
 * event store, its reservations and its encryption stay user-service's business. Phases 3 to 5 are the README's
 * cutover runbook.
 */
@Command(name = "migrate", description = "Migration from a legacy CRUD users table (README: Migrating from a CRUD users table).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {MigrateCommands.ImportLegacy.class, MigrateCommands.Sync.class, MigrateCommands.Verify.class})
final class MigrateCommands extends CommandGroup {

    /** Summaries as JSON with integer counts (the answers' own messages go through Output.json). */
    static final Gson JSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** Where the legacy table is and how its columns are named. */
    static final class LegacySource {
        @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:USERSTREAM_LEGACY_JDBC_URL}",
                description = "JDBC URL of the legacy database, e.g. jdbc:postgresql://db:5432/crm (env USERSTREAM_LEGACY_JDBC_URL).")
        String jdbcUrl;

        @Option(names = "--jdbc-user", paramLabel = "USER", defaultValue = "${env:USERSTREAM_LEGACY_JDBC_USER}",
                description = "Database user (env USERSTREAM_LEGACY_JDBC_USER); the password comes from env USERSTREAM_LEGACY_JDBC_PASSWORD only.")
        String jdbcUser;

        @Option(names = "--table", paramLabel = "TABLE", defaultValue = "users",
                description = "The legacy table, TABLE or SCHEMA.TABLE (default: ${DEFAULT-VALUE}).")
        String table;

        @Option(names = "--source", paramLabel = "NAME",
                description = "Names the legacy table for user-service; part of each user's id when legacy ids are not UUIDs."
                        + " Default: the --table value. Keep it the same for every run.")
        String source;

        @Option(names = "--column", paramLabel = "FIELD=COLUMN",
                description = "A column named otherwise than its field: id, email, username, password_hash, first_name,"
                        + " last_name, avatar_url, status, active, created_at, updated_at, deleted_at (repeatable).")
        Map<String, String> columns = new LinkedHashMap<>();

        @Option(names = "--concurrency", paramLabel = "N", defaultValue = "8",
                description = "Calls in flight at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        LegacyTable open() throws SQLException {
            if (jdbcUrl == null || jdbcUrl.isBlank()) {
                throw new CliException(ExitCode.USAGE, "give --jdbc-url or set USERSTREAM_LEGACY_JDBC_URL");
            }
            return LegacyTable.open(jdbcUrl, jdbcUser, Objects.requireNonNullElse(
                    System.getenv("USERSTREAM_LEGACY_JDBC_PASSWORD"), ""), table, columns);
        }

        String source() {
            return source != null && !source.isBlank() ? source : table;
        }
    }

    /** What one pass of imports did; safe to update from many calls at once. */
    static final class Tally {
        final AtomicLong rows = new AtomicLong();
        final AtomicLong created = new AtomicLong();
        final AtomicLong updated = new AtomicLong();
        final AtomicLong unchanged = new AtomicLong();
        final AtomicLong events = new AtomicLong();
        final AtomicLong unverifiable = new AtomicLong();
        final List<String[]> failures = Collections.synchronizedList(new ArrayList<>());
        /** A failure that no other row can escape (no access, no service): the run stops on it. */
        final AtomicReference<StatusRuntimeException> fatal = new AtomicReference<>();

        long failed() {
            return failures.size();
        }

        boolean changedAnything() {
            return created.get() + updated.get() > 0 || !failures.isEmpty();
        }

        JsonObject json() {
            JsonObject json = new JsonObject();
            json.addProperty("rows", rows.get());
            json.addProperty("created", created.get());
            json.addProperty("updated", updated.get());
            json.addProperty("unchanged", unchanged.get());
            json.addProperty("failed", failed());
            json.addProperty("events_appended", events.get());
            json.addProperty("passwords_not_verifiable", unverifiable.get());
            JsonArray list = new JsonArray();
            synchronized (failures) {
                for (String[] failure : failures) {
                    JsonObject item = new JsonObject();
                    item.addProperty("legacy_id", failure[0]);
                    item.addProperty("error", failure[1]);
                    list.add(item);
                }
            }
            json.add("failures", list);
            return json;
        }
    }

    /** Sends rows to ImportLegacyUser, a bounded number at once, and counts what happened. */
    abstract static class Importing extends ClientCommand {
        @Mixin LegacySource legacy;

        @Option(names = "--show", paramLabel = "N", defaultValue = "20",
                description = "How many failed rows to list (default: ${DEFAULT-VALUE}).")
        int show;

        LegacyMigrationGrpc.LegacyMigrationBlockingStub migration() {
            return LegacyMigrationGrpc.newBlockingStub(clients().userChannel())
                    .withInterceptors(clients().credentials())
                    .withDeadlineAfter(connection().deadline);
        }

        void send(BoundedCalls calls, LegacyTable.Row row, Tally tally) {
            if (tally.fatal.get() != null) {
                return;
            }
            tally.rows.incrementAndGet();
            calls.submit(() -> {
                try {
                    ImportLegacyUserResponse response = migration().importLegacyUser(request(row));
                    switch (response.getOutcome()) {
                        case CREATED -> tally.created.incrementAndGet();
                        case UPDATED -> tally.updated.incrementAndGet();
                        default -> tally.unchanged.incrementAndGet();
                    }
                    tally.events.addAndGet(response.getEventsAppended());
                    if (!response.getPasswordVerifiable()) {
                        tally.unverifiable.incrementAndGet();
                    }
                } catch (StatusRuntimeException e) {
                    if (fatal(e.getStatus().getCode())) {
                        tally.fatal.compareAndSet(null, e);
                    } else {
                        tally.failures.add(new String[] {row.legacyId(), Failures.describe(e)});
                    }
                }
            });
        }

        private ImportLegacyUserRequest request(LegacyTable.Row row) {
            ImportLegacyUserRequest.Builder request = ImportLegacyUserRequest.newBuilder()
                    .setSource(legacy.source())
                    .setLegacyId(Objects.requireNonNullElse(row.legacyId(), ""))
                    .setEmail(Objects.requireNonNullElse(row.email(), ""))
                    .setUsername(Objects.requireNonNullElse(row.username(), ""))
                    .setPasswordHash(Objects.requireNonNullElse(row.passwordHash(), ""))
                    .setFirstName(Objects.requireNonNullElse(row.firstName(), ""))
                    .setLastName(Objects.requireNonNullElse(row.lastName(), ""))
                    .setAvatarUrl(Objects.requireNonNullElse(row.avatarUrl(), ""))
                    .setStatus(switch (row.status()) {
                        case ACTIVE -> LegacyUserStatus.LEGACY_ACTIVE;
                        case INACTIVE -> LegacyUserStatus.LEGACY_INACTIVE;
                        case DELETED -> LegacyUserStatus.LEGACY_DELETED;
                    });
            if (row.createdAt() != null) {
                request.setCreatedAt(com.google.protobuf.Timestamp.newBuilder()
                        .setSeconds(row.createdAt().getEpochSecond()).setNanos(row.createdAt().getNano()));
            }
            return request.build();
        }

        private static boolean fatal(Status.Code code) {
            return switch (code) {
                case UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE, UNIMPLEMENTED -> true;
                default -> false;
            };
        }

        private static String rows(long count) {
            return Output.count(count) + (count == 1 ? " row" : " rows");
        }

        /** Rethrows a fatal failure (its exit code), else says how the pass went; 0 when no row failed. */
        int report(String what, Tally tally, Duration took) {
            StatusRuntimeException fatal = tally.fatal.get();
            if (fatal != null) {
                err().println(what + ": stopped after " + tally.rows.get() + " rows");
                err().flush();
                throw fatal;
            }
            Output output = output();
            if (output.json()) {
                JsonObject json = tally.json();
                json.addProperty("seconds", took.toMillis() / 1000.0);
                output.line(JSON.toJson(json));
            } else {
                output.line(String.format(Locale.ROOT, "%s: %s in %s: %s created, %s updated, %s unchanged, %s failed"
                                + " (%s appended)", what, rows(tally.rows.get()), Output.duration(took),
                        Output.count(tally.created.get()), Output.count(tally.updated.get()),
                        Output.count(tally.unchanged.get()), Output.count(tally.failed()),
                        Output.count(tally.events.get()) + (tally.events.get() == 1 ? " event" : " events")));
                if (tally.unverifiable.get() > 0) {
                    output.line(Output.count(tally.unverifiable.get()) + " users have a password hash in a scheme user-service"
                            + " cannot verify (neither bcrypt nor Argon2id): they must reset their password");
                }
                if (tally.failed() > 0) {
                    List<String[]> shown;
                    synchronized (tally.failures) {
                        shown = new ArrayList<>(tally.failures.subList(0, Math.min(show, tally.failures.size())));
                    }
                    output.table(Output.row("LEGACY ID", "ERROR"), shown);
                    if (tally.failed() > shown.size()) {
                        output.line("... and " + (tally.failed() - shown.size()) + " more (--show N lists more)");
                    }
                }
            }
            return tally.failed() == 0 ? ExitCode.OK : ExitCode.REJECTED;
        }

        /**
         * Waits (up to a minute) until the read model has applied every event, so that what the user reads and what
         * {@code migrate verify} compares includes this run. Needs the admin API; without it, says so and goes on.
         */
        void awaitReadModel() {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            try {
                while (System.nanoTime() < deadline) {
                    long lag = clients().admin().listProjections(ListProjectionsRequest.getDefaultInstance())
                            .getProjectionsList().stream().filter(p -> p.getName().equals("user_read_model"))
                            .mapToLong(Projection::getLagEvents).findFirst().orElse(0);
                    if (lag == 0) {
                        return;
                    }
                    Thread.sleep(200);
                }
                err().println("note: the read model is still catching up; migrate verify may see it behind");
            } catch (StatusRuntimeException e) {
                err().println("note: cannot see the read model's lag (" + e.getStatus().getCode() + "); not waiting for it");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err().flush();
        }
    }

    @Command(name = "import-legacy", description = {
            "Imports every row of the legacy table as its user's first events (phase 0 of the migration).",
            "Idempotent: a row imported before records nothing unless it changed since; password hashes are carried",
            "over as they are (bcrypt, Argon2id) and rehashed to Argon2id at the user's next successful password check.",
            "Needs the users:admin scope (or the admin token). Exit 0 when every row imported, 4 when some were refused."})
    static final class ImportLegacy extends Importing {
        @Override
        public Integer call() throws SQLException {
            Instant start = Instant.now();
            Tally tally = new Tally();
            try (LegacyTable table = legacy.open()) {
                long total = table.count();
                Progress progress = new Progress(err(), "import-legacy", total);
                try (BoundedCalls calls = new BoundedCalls(legacy.concurrency)) {
                    table.forEachRow(row -> {
                        send(calls, row, tally);
                        progress.update(tally.rows.get());
                    });
                }
            }
            if (tally.fatal.get() == null && tally.changedAnything()) {
                awaitReadModel();
            }
            return report("import-legacy", tally, Duration.between(start, Instant.now()));
        }
    }

    @Command(name = "sync", description = {
            "Phase 1 (dual write): follows the legacy table while the legacy application still writes to it, by its",
            "updated_at column, and appends the matching events, so the event store stays current until cutover.",
            "The first pass (without --since) takes every row; later passes the rows updated since the last one",
            "(minus --overlap, for transactions that committed late). Runs until stopped (Ctrl-C), or once with --once.",
            "Rows deleted outright from the legacy table cannot be followed: migrate verify lists them."})
    static final class Sync extends Importing {
        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "5s",
                converter = ConnectionOptions.DurationConverter.class,
                description = "Pause between passes (default: ${DEFAULT-VALUE}).")
        Duration interval;

        @Option(names = "--overlap", paramLabel = "DURATION", defaultValue = "1m",
                converter = ConnectionOptions.DurationConverter.class,
                description = "How far before the newest updated_at seen each pass looks again (default: ${DEFAULT-VALUE}).")
        Duration overlap;

        @Option(names = "--since", paramLabel = "INSTANT",
                description = "Start with the rows updated since then (ISO-8601, e.g. 2026-12-01T00:00:00Z) instead of every row.")
        Instant since;

        @Option(names = "--once", description = "One pass, then exit (with import-legacy's exit codes).")
        boolean once;

        @Override
        public Integer call() throws SQLException, InterruptedException {
            try (LegacyTable table = legacy.open()) {
                if (!table.hasUpdatedAt()) {
                    throw new CliException(ExitCode.USAGE, "sync follows an updated_at column, and table " + legacy.table
                            + " has none: map one with --column updated_at=<column>");
                }
                Instant watermark = since;
                for (int pass = 1; ; pass++) {
                    Instant start = Instant.now();
                    Tally tally = new Tally();
                    AtomicReference<Instant> newest = new AtomicReference<>(watermark);
                    try (BoundedCalls calls = new BoundedCalls(legacy.concurrency)) {
                        java.util.function.Consumer<LegacyTable.Row> each = row -> {
                            send(calls, row, tally);
                            if (row.updatedAt() != null) {
                                newest.accumulateAndGet(row.updatedAt(), (a, b) -> a == null || b.isAfter(a) ? b : a);
                            }
                        };
                        if (watermark == null) {
                            table.forEachRow(each);
                        } else {
                            table.forEachRowUpdatedSince(watermark.minus(overlap), each);
                        }
                    }
                    watermark = newest.get();
                    if (once) {
                        if (tally.fatal.get() == null && tally.changedAnything()) {
                            awaitReadModel();
                        }
                        return report("sync", tally, Duration.between(start, Instant.now()));
                    }
                    if (tally.fatal.get() != null && tally.fatal.get().getStatus().getCode() != Status.Code.UNAVAILABLE) {
                        return report("sync pass " + pass, tally, Duration.between(start, Instant.now()));
                    }
                    if (tally.fatal.get() != null) {
                        err().println("sync pass " + pass + ": user-service unavailable ("
                                + Failures.describe(tally.fatal.get()) + "); trying again in " + Output.duration(interval));
                        err().flush();
                    } else if (tally.changedAnything() || connection().verbose) {
                        report("sync pass " + pass, tally, Duration.between(start, Instant.now()));
                    }
                    Thread.sleep(interval.toMillis());
                }
            }
        }
    }

    @Command(name = "verify", description = {
            "Phase 2: compares every legacy row with userstream's read model (e-mail, username, names, avatar, status,",
            "registration time) and lists users the read model has that the legacy table does not. Password hashes are",
            "not compared (the read model has none). Exit 0 when everything matches, 7 on any difference."})
    static final class Verify extends ClientCommand {
        @Mixin LegacySource legacy;

        @Option(names = "--show", paramLabel = "N", defaultValue = "20",
                description = "How many differences to list (default: ${DEFAULT-VALUE}).")
        int show;

        @Override
        public Integer call() throws SQLException {
            Instant start = Instant.now();
            AtomicLong rows = new AtomicLong();
            AtomicLong matching = new AtomicLong();
            AtomicLong missing = new AtomicLong();
            Set<String> differing = ConcurrentHashMap.newKeySet();
            Set<String> legacyUserIds = ConcurrentHashMap.newKeySet();
            List<String[]> differences = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<StatusRuntimeException> fatal = new AtomicReference<>();
            try (LegacyTable table = legacy.open(); BoundedCalls calls = new BoundedCalls(legacy.concurrency)) {
                table.forEachRow(row -> {
                    if (fatal.get() != null) {
                        return;
                    }
                    rows.incrementAndGet();
                    String userId = LegacyTable.userIdOf(legacy.source(), row.legacyId());
                    legacyUserIds.add(userId);
                    calls.submit(() -> {
                        try {
                            User user = clients().users().getUser(GetUserRequest.newBuilder().setUserId(userId).build());
                            List<String[]> found = compare(row, user);
                            if (found.isEmpty()) {
                                matching.incrementAndGet();
                            } else {
                                differing.add(row.legacyId());
                                differences.addAll(found);
                            }
                        } catch (StatusRuntimeException e) {
                            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                                missing.incrementAndGet();
                                differences.add(Output.row(row.legacyId(), userId, "(user)", "present", "missing"));
                            } else {
                                fatal.compareAndSet(null, e);
                            }
                        }
                    });
                });
            }
            if (fatal.get() != null) {
                throw fatal.get();
            }
            List<String> extra = usersNotIn(legacyUserIds);
            for (String id : extra) {
                differences.add(Output.row("", id, "(user)", "missing", "present"));
            }
            boolean same = differing.isEmpty() && missing.get() == 0 && extra.isEmpty();
            Duration took = Duration.between(start, Instant.now());
            Output output = output();
            List<String[]> shown;
            synchronized (differences) {
                // The legacy rows' differences first, in id order (numeric ids as numbers), then users only userstream has.
                differences.sort(java.util.Comparator.comparing((String[] d) -> d[0].isEmpty())
                        .thenComparing((String[] d) -> d[0].length()).thenComparing(d -> d[0]).thenComparing(d -> d[1]));
                shown = new ArrayList<>(differences.subList(0, Math.min(show, differences.size())));
            }
            if (output.json()) {
                JsonArray list = new JsonArray();
                for (String[] d : shown) {
                    JsonObject item = new JsonObject();
                    item.addProperty("legacy_id", d[0]);
                    item.addProperty("user_id", d[1]);
                    item.addProperty("field", d[2]);
                    item.addProperty("legacy", d[3]);
                    item.addProperty("userstream", d[4]);
                    list.add(item);
                }
                JsonObject json = new JsonObject();
                json.addProperty("rows", rows.get());
                json.addProperty("matching", matching.get());
                json.addProperty("differing", differing.size());
                json.addProperty("missing", missing.get());
                json.addProperty("only_in_userstream", extra.size());
                json.add("differences", list);
                json.addProperty("seconds", took.toMillis() / 1000.0);
                output.line(JSON.toJson(json));
            } else {
                output.line(String.format(Locale.ROOT, "verify: %s legacy rows in %s: %s match, %s differ, %s missing from"
                                + " userstream; %s users only in userstream", Output.count(rows.get()), Output.duration(took),
                        Output.count(matching.get()), Output.count(differing.size()), Output.count(missing.get()),
                        Output.count(extra.size())));
                if (!shown.isEmpty()) {
                    output.table(Output.row("LEGACY ID", "USER ID", "FIELD", "LEGACY", "USERSTREAM"), shown);
                    if (differences.size() > shown.size()) {
                        output.line("... and " + (differences.size() - shown.size()) + " more (--show N lists more)");
                    }
                }
            }
            return same ? ExitCode.OK : ExitCode.DIFFERENCES;
        }

        /** Every user of the read model (any status) whose id is not a legacy row's. */
        private List<String> usersNotIn(Set<String> legacyUserIds) {
            List<String> extra = new ArrayList<>();
            String token = "";
            do {
                ListUsersResponse page = clients().users().listUsers(ListUsersRequest.newBuilder()
                        .setPageSize(1000).setPageToken(token).build());
                for (User user : page.getUsersList()) {
                    if (!legacyUserIds.contains(user.getId())) {
                        extra.add(user.getId());
                    }
                }
                token = page.getNextPageToken();
            } while (!token.isEmpty());
            return extra;
        }

        /** The fields that differ, normalised as user-service normalises them (trimmed; e-mail domain in lower case). */
        static List<String[]> compare(LegacyTable.Row row, User user) {
            List<String[]> found = new ArrayList<>();
            differ(found, row, user, "email", email(row.email()), user.getEmail());
            differ(found, row, user, "username", trim(row.username()), user.getUsername());
            differ(found, row, user, "first_name", trim(row.firstName()), user.getFirstName());
            differ(found, row, user, "last_name", trim(row.lastName()), user.getLastName());
            differ(found, row, user, "avatar_url", trim(row.avatarUrl()), user.getAvatarUrl());
            differ(found, row, user, "status", row.status().name(), status(user.getStatus()));
            if (row.createdAt() != null) {
                // PostgreSQL keeps microseconds.
                Instant created = Instant.ofEpochSecond(user.getCreatedAt().getSeconds(), user.getCreatedAt().getNanos());
                differ(found, row, user, "created_at", row.createdAt().truncatedTo(ChronoUnit.MICROS).toString(),
                        created.truncatedTo(ChronoUnit.MICROS).toString());
            }
            return found;
        }

        private static void differ(List<String[]> found, LegacyTable.Row row, User user, String field, String legacy,
                                   String userstream) {
            if (!legacy.equals(userstream)) {
                found.add(Output.row(row.legacyId(), user.getId(), field, legacy, userstream));
            }
        }

        private static String status(UserStatus status) {
            return switch (status) {
                case ACTIVE -> "ACTIVE";
                case INACTIVE -> "INACTIVE";
                case DELETED -> "DELETED";
                default -> status.name();
            };
        }

        private static String trim(String value) {
            return value == null ? "" : value.strip();
        }

        private static String email(String value) {
            String trimmed = trim(value);
            int at = trimmed.lastIndexOf('@');
            return at < 0 ? trimmed : trimmed.substring(0, at) + trimmed.substring(at).toLowerCase(Locale.ROOT);
        }
    }

    /** A line on stderr every few seconds while rows go out: how many, of how many, how fast. */
    static final class Progress {
        private final java.io.PrintWriter err;
        private final String what;
        private final long total;
        private final long startNanos = System.nanoTime();
        private long lastNanos = System.nanoTime();

        Progress(java.io.PrintWriter err, String what, long total) {
            this.err = err;
            this.what = what;
            this.total = total;
        }

        void update(long done) {
            long now = System.nanoTime();
            if (now - lastNanos < Duration.ofSeconds(5).toNanos()) {
                return;
            }
            lastNanos = now;
            double seconds = (now - startNanos) / 1e9;
            err.println(String.format(Locale.ROOT, "%s: %s of %s rows sent (%.0f%%), %.0f rows/s", what, Output.count(done),
                    Output.count(total), total == 0 ? 100.0 : 100.0 * done / total, done / seconds));
            err.flush();
        }
    }
}
