package io.userstream.bootstrap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import static io.userstream.bootstrap.bench.Bench.AXON;
import static io.userstream.bootstrap.bench.Bench.LIMIT;
import static io.userstream.bootstrap.bench.Bench.OURS;
import static io.userstream.bootstrap.bench.Bench.SELECT;

/**
 * The harness's figures, printed as a table and written as BENCHMARKS.md's generated section. Every figure
 * is the median of the runs; every ratio the median of the per-run ratios (runs measured back to back).
 */
final class Report {

    private final Bench.Options options;
    final String date = Bench.now();
    Bench.Machine machine;
    double hashesPerSecond;
    double runSeconds;
    double loadAverageEnd;
    /** threads → system → runs. */
    final Map<Integer, Map<String, List<Measurement.Run>>> append = new LinkedHashMap<>();
    /** stream size → system → runs. */
    final Map<Integer, Map<String, List<Measurement.Run>>> load = new LinkedHashMap<>();
    final Map<String, Double> payloadBytes = new LinkedHashMap<>();
    /** callers → system (ours over gRPC, the limit) → runs. */
    final Map<Integer, Map<String, List<Measurement.Run>>> grpc = new LinkedHashMap<>();
    /** callers → per run of ours: [read model backlog, stats backlog (events) at its end, catch-up seconds]. */
    final Map<Integer, List<double[]>> grpcLag = new LinkedHashMap<>();
    /** threads → hit / repair → runs. */
    final Map<Integer, Map<String, List<Measurement.Run>>> stats = new LinkedHashMap<>();
    /** [service, heap setting, max heap MiB, idle RSS MiB, peak RSS MiB, RSS at the end MiB]. */
    final List<String[]> rss = new ArrayList<>();
    final List<String> rssNotes = new ArrayList<>();
    /** The rebuild part, if it ran. */
    RebuildPart rebuild;
    private final Map<String, String> notWired = new LinkedHashMap<>();
    /** Parts left out of this run, and why. */
    final Map<String, String> notRun = new LinkedHashMap<>();

    Report(Bench.Options options) {
        this.options = options;
    }

    void notWired(String part, String what) {
        notWired.put(part, what);
        System.out.println(part + ": not measured (a hook, not wired yet): " + what);
    }

    /** A wired part that could not run here. */
    void notMeasured(String part, String why) {
        notWired.put(part, why);
        System.out.println(part + ": not measured: " + why);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static double median(List<Measurement.Run> runs, ToDoubleFunction<Measurement.Run> figure) {
        return Measurement.median(runs, figure);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) ? "" : f("%.2f", value);
    }

    private static String perRun(List<Double> ratios) {
        return ratios.stream().map(r -> f("%.2f", r)).collect(Collectors.joining(", "));
    }

    private static String errors(List<Measurement.Run> runs) {
        long errors = runs.stream().mapToLong(Measurement.Run::errors).sum();
        return errors == 0 ? "" : " (!! " + errors + " errors)";
    }

    // ---- rows, shared by the text and the markdown ----

    private List<String[]> appendRows() {
        List<String[]> rows = new ArrayList<>();
        append.forEach((threads, systems) -> systems.forEach((system, runs) -> {
            List<Measurement.Run> limit = systems.get(LIMIT);
            List<Measurement.Run> axon = systems.get(AXON);
            rows.add(new String[] {
                    String.valueOf(threads), system + errors(runs),
                    f("%.0f", median(runs, Measurement.Run::rate)),
                    f("%.2f", median(runs, Measurement.Run::p50Ms)),
                    f("%.2f", median(runs, Measurement.Run::p99Ms)),
                    f("%.1f", median(runs, Measurement.Run::maxMs)),
                    f("%.0f", median(runs, Measurement.Run::cpuMicrosPerOperation)),
                    system.equals(LIMIT) ? "1" : ratio(Bench.pairedRatio(runs, limit, Measurement.Run::rate)),
                    system.equals(OURS) ? ratio(Bench.pairedRatio(runs, axon, Measurement.Run::rate))
                            : system.equals(AXON) ? "1" : ""});
        }));
        return rows;
    }

    private static final String[] APPEND_HEADER = {"threads", "system", "events/s", "p50 ms", "p99 ms", "max ms",
            "client CPU µs/event", "× limit", "× Axon"};

    private List<String[]> loadRows() {
        List<String[]> rows = new ArrayList<>();
        load.forEach((size, systems) -> systems.forEach((system, runs) -> {
            List<Measurement.Run> axon = systems.get(AXON);
            rows.add(new String[] {
                    String.valueOf(size), system + errors(runs),
                    f("%.3f", median(runs, Measurement.Run::p50Ms)),
                    f("%.3f", median(runs, Measurement.Run::p99Ms)),
                    f("%.2f", median(runs, Measurement.Run::maxMs)),
                    f("%.0f", median(runs, Measurement.Run::rate)),
                    f("%.0f", median(runs, Measurement.Run::cpuMicrosPerOperation)),
                    system.equals(AXON) ? "1" : ratio(Bench.pairedRatio(runs, axon, Measurement.Run::p50Ms))});
        }));
        return rows;
    }

    private static final String[] LOAD_HEADER = {"events", "system", "p50 ms", "p99 ms", "max ms", "loads/s",
            "client CPU µs/load", "time × Axon"};

    private List<String[]> rebuildRows() {
        List<String[]> rows = new ArrayList<>();
        if (rebuild == null || rebuild.rates.isEmpty()) {
            return rows;
        }
        List<Double> setBased = rebuild.rates.get(RebuildPart.SET_BASED);
        List<Double> axon = rebuild.rates.get(RebuildPart.AXON);
        rebuild.rates.forEach((system, rates) -> {
            double rate = Measurement.median(rates);
            rows.add(new String[] {system, f("%.0f", rate), f("%.2f", rebuild.events() / rate),
                    system.equals(RebuildPart.SET_BASED) ? "1" : ratio(pairedRatio(rates, setBased)),
                    system.equals(RebuildPart.OURS) ? ratio(pairedRatio(rates, axon))
                            : system.equals(RebuildPart.AXON) ? "1" : ""});
        });
        return rows;
    }

    private static final String[] REBUILD_HEADER = {"system", "events/s", "seconds", "× set-based", "× Axon"};

    static List<Double> ratios(List<Double> a, List<Double> b) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            ratios.add(a.get(i) / b.get(i));
        }
        return ratios;
    }

    private static double pairedRatio(List<Double> a, List<Double> b) {
        return Measurement.median(ratios(a, b));
    }

    private List<String[]> grpcRows() {
        List<String[]> rows = new ArrayList<>();
        grpc.forEach((callers, systems) -> systems.forEach((system, runs) -> {
            List<Measurement.Run> limit = systems.get(LIMIT);
            boolean ours = system.equals(ServicesPart.OURS_GRPC);
            List<double[]> lags = grpcLag.getOrDefault(callers, List.of());
            rows.add(new String[] {
                    String.valueOf(callers), system + errors(runs),
                    f("%.0f", median(runs, Measurement.Run::rate)),
                    f("%.2f", median(runs, Measurement.Run::p50Ms)),
                    f("%.2f", median(runs, Measurement.Run::p99Ms)),
                    f("%.1f", median(runs, Measurement.Run::maxMs)),
                    f("%.0f", median(runs, Measurement.Run::cpuMicrosPerOperation)),
                    system.equals(LIMIT) ? "1" : ratio(Bench.pairedRatio(runs, limit, Measurement.Run::rate)),
                    ours ? perRun(Bench.ratios(runs, limit, Measurement.Run::rate)) : "",
                    ours ? f("%.0f / %.0f", lagMedian(lags, 0), lagMedian(lags, 1)) : "",
                    ours ? f("%.2f", lagMedian(lags, 2)) : ""});
        }));
        return rows;
    }

    private static double lagMedian(List<double[]> lags, int i) {
        return Measurement.median(lags.stream().map(l -> l[i]).toList());
    }

    private static final String[] GRPC_HEADER = {"callers", "system", "commands/s", "p50 ms", "p99 ms", "max ms",
            "CPU µs/op", "× limit", "× limit per run", "backlog at end: read model / stats", "catch-up s"};

    private List<String[]> statsRows() {
        List<String[]> rows = new ArrayList<>();
        stats.forEach((threads, kinds) -> kinds.forEach((kind, runs) -> {
            List<Measurement.Run> hit = kinds.get(ServicesPart.HIT);
            boolean repair = kind.equals(ServicesPart.REPAIR);
            rows.add(new String[] {
                    String.valueOf(threads), kind + errors(runs),
                    f("%.0f", median(runs, Measurement.Run::rate)),
                    f("%.3f", median(runs, Measurement.Run::p50Ms)),
                    f("%.3f", median(runs, Measurement.Run::p99Ms)),
                    f("%.2f", median(runs, Measurement.Run::maxMs)),
                    repair ? ratio(Bench.pairedRatio(runs, hit, Measurement.Run::p50Ms)) : "1",
                    repair ? ratio(Bench.pairedRatio(runs, hit, Measurement.Run::rate)) : "1"});
        }));
        return rows;
    }

    private static final String[] STATS_HEADER = {"threads", "path", "calls/s", "p50 ms", "p99 ms", "max ms",
            "p50 × hit", "rate × hit"};

    private static final String[] RSS_HEADER = {"service", "heap setting", "max heap MiB", "RSS idle MiB",
            "peak RSS (VmHWM) MiB", "RSS at the end MiB"};

    /** The targets: [target, measured, verdict, per-run ratios]. */
    private List<String[]> targets() {
        List<String[]> rows = new ArrayList<>();
        Map<String, List<Measurement.Run>> at16 = append.get(16);
        if (at16 != null) {
            List<Double> limit = Bench.ratios(at16.get(OURS), at16.get(LIMIT), Measurement.Run::rate);
            double l = Measurement.median(limit);
            rows.add(new String[] {"append, 16 threads: ours ≥ 0.85 × the JDBC limit", f("%.2f", l),
                    l >= 0.85 ? "met" : "**missed**", perRun(limit)});
            List<Double> axon = Bench.ratios(at16.get(OURS), at16.get(AXON), Measurement.Run::rate);
            double a = Measurement.median(axon);
            rows.add(new String[] {"append, 16 threads: ours ≥ 1.5 × Axon", f("%.2f", a),
                    a >= 1.5 ? "met" : "**missed**", perRun(axon)});
        }
        Map<String, List<Measurement.Run>> at32 = grpc.get(32);
        if (at32 != null) {
            List<Double> limit = Bench.ratios(at32.get(ServicesPart.OURS_GRPC), at32.get(LIMIT), Measurement.Run::rate);
            double l = Measurement.median(limit);
            rows.add(new String[] {"UpdateProfile over gRPC, 32 callers: ≥ 0.35 × the JDBC limit", f("%.2f", l),
                    l >= 0.35 ? "met" : "**missed**", perRun(limit)});
        }
        Map<String, List<Measurement.Run>> at100 = load.get(100);
        if (at100 != null) {
            List<Double> time = Bench.ratios(at100.get(OURS), at100.get(AXON), Measurement.Run::p50Ms);
            double t = Measurement.median(time);
            rows.add(new String[] {"load a 100-event stream: ours ≤ 0.6 × Axon's time (p50)", f("%.2f", t),
                    t <= 0.6 ? "met" : "**missed**", perRun(time)});
        }
        return rows;
    }

    private String ourCommands(int threads) {
        Map<String, List<Measurement.Run>> systems = append.get(threads);
        if (systems == null || systems.get(OURS) == null) {
            return "";
        }
        List<Measurement.Run> runs = systems.get(OURS);
        return f("ours by command at %d thread%s: CreateUser p50 %.2f / p99 %.2f ms, UpdateProfile"
                        + " p50 %.2f / p99 %.2f ms", threads, threads == 1 ? "" : "s",
                median(runs, r -> r.byKind()[OurWritePath.CREATE].getValueAtPercentile(50) / 1e6),
                median(runs, r -> r.byKind()[OurWritePath.CREATE].getValueAtPercentile(99) / 1e6),
                median(runs, r -> r.byKind()[OurWritePath.UPDATE].getValueAtPercentile(50) / 1e6),
                median(runs, r -> r.byKind()[OurWritePath.UPDATE].getValueAtPercentile(99) / 1e6));
    }

    // ---- text ----

    String text() {
        StringBuilder out = new StringBuilder();
        out.append(f("== bench.sh, %s; %s%n", date, machine.line()));
        out.append(f("   %d runs per figure (median), ratios = median of per-run ratios; load average %.2f at the end%n",
                options.runs(), loadAverageEnd));
        if (!append.isEmpty()) {
            out.append(f("%nappend, one event per command (closed loop, %s s warm-up + %s s per run)%n",
                    seconds(options.warmUp()), seconds(options.seconds())));
            out.append(textTable(APPEND_HEADER, appendRows()));
            for (int threads : append.keySet()) {
                out.append("  ").append(ourCommands(threads)).append('\n');
            }
        }
        if (!load.isEmpty()) {
            out.append(f("%nstream load, one thread (%s s per run)%n", seconds(options.loadSeconds())));
            out.append(textTable(LOAD_HEADER, loadRows()));
        }
        if (!rebuildRows().isEmpty()) {
            out.append(f("%nrebuild of user_read_model, %d users = %d events (Axon batch %d)%n", options.rebuildUsers(),
                    rebuild.events(), options.axonBatch()));
            out.append(textTable(REBUILD_HEADER, rebuildRows()));
            rebuild.notes.forEach(note -> out.append("  ").append(note).append('\n'));
        }
        if (!grpc.isEmpty()) {
            out.append(f("%nUpdateProfile over gRPC, in process, relay + projections + stats consumer running, vs the"
                    + " JDBC limit at as many threads (%s s warm-up + %s s per run)%n", seconds(options.warmUp()),
                    seconds(options.seconds())));
            out.append(textTable(GRPC_HEADER, grpcRows()));
            out.append("  CPU: this JVM's, per operation; for ours it holds the callers and both services\n");
        }
        if (!stats.isEmpty()) {
            out.append(f("%nGetUserStats over gRPC, hit vs repair (%s s per run)%n", seconds(options.statsSeconds())));
            out.append(textTable(STATS_HEADER, statsRows()));
        }
        if (!rss.isEmpty()) {
            out.append(f("%npeak RSS, each service a JVM of its own under gRPC load%n"));
            out.append(textTable(RSS_HEADER, rss));
            rssNotes.forEach(note -> out.append("  ").append(note).append('\n'));
        }
        List<String[]> targets = targets();
        if (!targets.isEmpty()) {
            out.append(f("%ntargets (issue 16)%n"));
            for (String[] target : targets) {
                out.append(f("  %-58s %6s  %-10s per run: %s%n", target[0], target[1], target[2].replace("*", ""),
                        target[3]));
            }
        }
        notWired.forEach((part, what) -> out.append(f("not measured: %s — %s%n", part, what)));
        if (!notRun.isEmpty()) {
            out.append("not in this run: ").append(notRun.entrySet().stream()
                    .map(e -> e.getKey() + (Bench.WIRED.contains(e.getKey()) ? " (not selected)" : " (hook, not wired yet)"))
                    .collect(Collectors.joining(", "))).append('\n');
        }
        out.append(f("harness %.0f s%s%n", runSeconds, Double.isNaN(options.buildSeconds()) ? ""
                : f(" + build %.0f s = %.0f s", options.buildSeconds(), options.buildSeconds() + runSeconds)));
        return out.toString();
    }

    private static String seconds(java.time.Duration duration) {
        return f("%.1f", duration.toMillis() / 1000.0).replace(".0", "");
    }

    private static String textTable(String[] header, List<String[]> rows) {
        int[] widths = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            widths[i] = header[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] row : all) {
            out.append(' ');
            for (int i = 0; i < row.length; i++) {
                String cell = row[i];
                boolean left = header[i].equals("system");
                out.append(' ').append(left ? f("%-" + widths[i] + "s", cell) : f("%" + widths[i] + "s", cell));
            }
            out.append('\n');
        }
        return out.toString();
    }

    // ---- markdown ----

    private static String markdownTable(String[] header, List<String[]> rows) {
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", header)).append(" |\n");
        out.append("|").append(" --- |".repeat(header.length)).append('\n');
        for (String[] row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return out.toString();
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("## Write path, stream loads, rebuild and the services beside the limit and the peer — `ops/bench.sh` (generated)\n\n");
        out.append("_Written by `ops/bench.sh` (`bootstrap/src/test/.../bench/Bench`); everything between the"
                + " `bench.sh` markers is replaced by its next run._\n\n");
        out.append(f("Run %s: `%s`; %d runs per figure; harness %.0f s%s.%n%n", date, options.command(), options.runs(),
                runSeconds, Double.isNaN(options.buildSeconds()) ? ""
                        : f(", build %.0f s, %.0f s in all", options.buildSeconds(),
                        options.buildSeconds() + runSeconds)));
        out.append(f("Machine: %d cores%s, %.1f GiB memory, load average %.2f at the start and %.2f at the end;"
                        + " JDK %s; PostgreSQL %s (the same server for every system, on the same machine as the"
                        + " client).%n%n", machine.cores(), machine.cpu().isEmpty() ? "" : " (" + machine.cpu() + ")",
                machine.memoryGiB(), machine.loadAverage(), loadAverageEnd, machine.jdk(), machine.postgres()));
        out.append("""
                How: every figure is the median of the runs; every ratio the median of the per-run ratios, each \
                between runs measured back to back (the order of the systems rotates from run to run). \
                Latencies from HdrHistogram; warm-up not counted; all in throw-away schemas of `userstream_test`.

                """);
        if (!append.isEmpty()) {
            out.append(f("### Append, one event per command (%s s warm-up + %s s per run, closed loop)%n%n",
                    seconds(options.warmUp()), seconds(options.seconds())));
            out.append("""
                    Each writer thread fills user streams of %d events: UserCreated, then ProfileUpdated (renames). \
                    **ours**: the real write path in process, no gRPC, wired as user-service wires it \
                    (`UserCommandService` with its cache of %d recent users → `MeteredUserEventStore` → \
                    `PostgresUserEventStore` → `PostgresDatabase`'s pool, DbClient and append notifier): \
                    CreateUser, then UpdateProfile; password hashing replaced by a constant hash. **JDBC limit**: \
                    one autocommitted `INSERT` per event, prepared once per connection, into a copy of our \
                    `events` table (`LIKE … INCLUDING ALL`: same columns, keys and indexes; no trigger). \
                    **Axon**: Axon Framework 4.12.3 `JdbcEventStorageEngine.appendEvents` of one \
                    `DomainEventMessage` with the aggregate's next sequence number, `JacksonSerializer`, its \
                    PostgreSQL table, autocommitted HikariCP connections and `NoTransactionManager` (its cheapest \
                    set-up: one `INSERT` and its commit). Same payloads, metadata and UUIDv7 ids for all three; \
                    each has one connection per thread (ours one more, which its append notifier keeps). \
                    Client CPU: this JVM's CPU time over the measured window per event (PostgreSQL's is not in it; \
                    client and server share the same cores).

                    """.formatted(BenchEvents.STREAM_LENGTH, OurWritePath.RECENT_USERS));
            out.append(markdownTable(APPEND_HEADER, appendRows()));
            out.append('\n');
            for (int threads : append.keySet()) {
                out.append("- ").append(ourCommands(threads)).append('\n');
            }
            if (!payloadBytes.isEmpty()) {
                out.append(f("- mean stored payload: ours %.1f bytes, limit %.1f (both `jsonb` as text), Axon %.1f"
                                + " (its `bytea` JSON)%n",
                        payloadBytes.get(OURS), payloadBytes.get(LIMIT), payloadBytes.get(AXON)));
            }
            out.append(f("- Argon2id (OWASP parameters), replaced above: %.1f hashes/s on one thread%n%n",
                    hashesPerSecond));
        }
        if (!load.isEmpty()) {
            out.append(f("### Stream load (one thread, %s s per run)%n%n", seconds(options.loadSeconds())));
            out.append("""
                    The same streams (UserCreated + ProfileUpdated events) written to both stores. **ours**: \
                    `PostgresUserEventStore.load` (decoded domain events). **Axon**: \
                    `JdbcEventStorageEngine.readEvents(aggregateId)`, every payload and metadata deserialized \
                    (it reads in batches of 100 until an empty batch). **JDBC SELECT**, for scale: one \
                    `SELECT` of our rows' columns as text, nothing decoded. Time × Axon: the p50 time's ratio.

                    """);
            out.append(markdownTable(LOAD_HEADER, loadRows()));
            out.append('\n');
        }
        if (!rebuildRows().isEmpty()) {
            out.append(f("### Rebuild of `user_read_model` (%d users, %d events)%n%n", options.rebuildUsers(),
                    rebuild.events()));
            out.append("""
                    The same log (UserCreated + ProfileUpdated per user, generated in our codec's stored shape, \
                    copied into Axon's table). **set-based SQL**: one `INSERT … SELECT` and one `UPDATE … FROM` \
                    into a copy of `user_read_model` with its indexes, one transaction. **ours (rebuild)**: \
                    `requestRebuild("user_read_model")` until the shadow table is swapped in \
                    (`SubscriptionSettings.DEFAULTS`). **Axon replay**: `PooledStreamingEventProcessor` (16 segments, \
                    4 worker threads, batch %d, `JdbcTokenStore`) over `EmbeddedEventStore` and \
                    `JdbcEventStorageEngine`, an annotated `@EventHandler` per event type doing one upsert per \
                    event into a table of the same shape, one transaction per batch, until every user is at \
                    version 2.

                    """.formatted(options.axonBatch()));
            out.append(markdownTable(REBUILD_HEADER, rebuildRows()));
            out.append('\n');
            rebuild.notes.forEach(note -> out.append("- ").append(note).append('\n'));
            out.append('\n');
        }
        if (!grpc.isEmpty()) {
            out.append(f("### UpdateProfile over gRPC beside the JDBC limit (%s s warm-up + %s s per run, closed loop)%n%n",
                    seconds(options.warmUp()), seconds(options.seconds())));
            out.append("""
                    **ours (gRPC)**: user-service and user-stats-service started in the harness's JVM \
                    (`InProcessServices`: the real apps, projections and outbox relay with \
                    `SubscriptionSettings.DEFAULTS`, the stats consumer on a RabbitMQ virtual host of the run's own, \
                    a DB pool of 8 each). %d users created over gRPC first; then N caller threads, each with its own \
                    blocking stub on one shared Netty channel and its own share of the users (round-robin), send \
                    UpdateProfile back to back, each changing the first name. **JDBC limit**: the append part's \
                    limit (one autocommitted `INSERT` per event, a connection per thread) at the same thread count, \
                    run right before or after (rotating). × limit: median of the per-run rate ratios. Backlog: events \
                    the read model and the stats had not folded when the run ended (medians), and how long they \
                    took to catch up; the next run starts after that. CPU: this JVM's CPU per operation — for ours \
                    it holds the callers and both services, for the limit only the client (PostgreSQL and RabbitMQ \
                    are outside it; all share the 2 cores).

                    """.formatted(ServicesPart.USERS));
            out.append(markdownTable(GRPC_HEADER, grpcRows()));
            out.append('\n');
        }
        if (!stats.isEmpty()) {
            out.append(f("### GetUserStats: hit and repair (0.5 s warm-up + %s s per run)%n%n",
                    seconds(options.statsSeconds())));
            out.append("""
                    On the same in-process services, %d users per path, each with a 2-event history (created, one \
                    profile update), threads on disjoint shares. **hit**: the consumer's row is there (checked: not \
                    a repaired row). **repair**: the step first deletes the user's `user_stats` row (not timed), \
                    then GetUserStats finds none, asks user-service for the history over gRPC, folds it and \
                    inserts the row (checked: `repaired_at` set). Latencies are the call's alone; the repair's \
                    calls/s include the untimed DELETE before each call.

                    """.formatted(ServicesPart.STATS_USERS));
            out.append(markdownTable(STATS_HEADER, statsRows()));
            out.append('\n');
        }
        if (!rss.isEmpty()) {
            out.append("### Peak RSS of each service\n\n");
            out.append("""
                    Each service started as a JVM of its own (`UserServiceMain`, `UserStatsServiceMain`, the \
                    harness's class path, configured by environment variables: its own schemas and RabbitMQ \
                    virtual host, production Argon2id and pool sizes), with the JVM flags of \
                    `USERSTREAM_BENCH_SERVICE_JVM_FLAGS` (none: the JVM's default heap). Idle: once ready; peak: \
                    `VmHWM` of `/proc/PID/status` after the load below.

                    """);
            out.append(markdownTable(RSS_HEADER, rss));
            out.append('\n');
            rssNotes.forEach(note -> out.append("- ").append(note).append('\n'));
            out.append('\n');
        }
        List<String[]> targets = targets();
        if (!targets.isEmpty()) {
            out.append("### Issue 16's targets\n\n");
            out.append(markdownTable(new String[] {"target", "measured", "", "per run"}, targets));
            out.append('\n');
        }
        if (!notWired.isEmpty() || !notRun.isEmpty()) {
            out.append("### Not measured by this run\n\n");
            notWired.forEach((part, what) -> out.append(f("- `%s`: %s%s%n", part, what,
                    Bench.WIRED.contains(part) ? "" : " (a hook in `Bench`, not wired)")));
            notRun.forEach((part, why) -> out.append(f("- `%s`: %s%n", part, why)));
            out.append('\n');
        }
        return out.toString();
    }

    /** Replaces the generated section of {@code file} (appends it, with its markers, if there is none). */
    void writeMarkdown(Path file) throws IOException {
        String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        String section = Bench.BEGIN + "\n" + markdown() + Bench.END;
        int begin = existing.indexOf(Bench.BEGIN);
        int end = existing.indexOf(Bench.END);
        String updated;
        if (begin >= 0 && end > begin) {
            updated = existing.substring(0, begin) + section + existing.substring(end + Bench.END.length());
        } else {
            updated = existing + (existing.endsWith("\n") || existing.isEmpty() ? "" : "\n") + "\n" + section + "\n";
        }
        Files.writeString(file, updated, StandardCharsets.UTF_8);
    }
}
