package io.userstream.cli;

import io.userstream.proto.admin.v1.RebuildPhase;
import io.userstream.proto.admin.v1.RebuildProgress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows a running rebuild on stderr: on a terminal one line redrawn in place ({@code \r}) with a bar, done/total,
 * percent, rate and ETA; elsewhere a plain line now and then; or nothing.
 */
final class RebuildProgressView {

    enum Mode { BAR, LINES, NONE }

    static final int BAR_WIDTH = 30;
    private static final Duration LINE_INTERVAL = Duration.ofSeconds(5);

    private final PrintWriter err;
    private final Mode mode;
    private final String name;
    private int drawnWidth;
    private long lastLineNanos;

    RebuildProgressView(PrintWriter err, Mode mode, String name) {
        this.err = err;
        this.mode = mode;
        this.name = name;
    }

    void update(RebuildProgress progress) {
        switch (mode) {
            case BAR -> {
                String line = name + " " + render(progress, true);
                // Pad over the previous, longer line's remains.
                err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
                drawnWidth = line.length();
                err.flush();
            }
            case LINES -> {
                long now = System.nanoTime();
                if (lastLineNanos == 0 || now - lastLineNanos >= LINE_INTERVAL.toNanos()) {
                    lastLineNanos = now;
                    err.println(name + " " + render(progress, false));
                    err.flush();
                }
            }
            case NONE -> {
            }
        }
    }

    /** Ends the redrawn line, so what follows starts on a line of its own. */
    void finish() {
        if (mode == Mode.BAR && drawnWidth > 0) {
            err.println();
            err.flush();
            drawnWidth = 0;
        }
    }

    /**
     * {@code applying events [#########.....................]  1,500/5,000  30%  2,400 ev/s  ETA 1.5s}, or while
     * building indexes {@code building indexes [###...] 2/5  5,000 events  ETA 3.0s}; without the bar if not {@code bar}.
     */
    static String render(RebuildProgress progress, boolean bar) {
        StringBuilder line = new StringBuilder();
        String eta = progress.hasEta()
                ? "ETA " + Output.duration(Duration.ofSeconds(progress.getEta().getSeconds(), progress.getEta().getNanos()))
                : "ETA ?";
        String rate = String.format(Locale.ROOT, "%,.0f ev/s", progress.getEventsPerSecond());
        if (progress.getPhase() == RebuildPhase.BUILDING_INDEXES) {
            int built = progress.getIndexesBuilt();
            int toBuild = progress.getIndexesToBuild();
            line.append("building indexes ");
            if (bar) {
                line.append(bar(toBuild == 0 ? 1 : (double) built / toBuild)).append(' ');
            }
            line.append(built).append('/').append(toBuild).append("  ")
                    .append(Output.count(progress.getDone())).append(" events  ").append(rate).append("  ").append(eta);
            return line.toString();
        }
        long done = progress.getDone();
        long total = progress.getTotal();
        double fraction = total <= 0 ? 1 : Math.min(1, (double) done / total);
        line.append("applying events ");
        if (bar) {
            line.append(bar(fraction)).append(' ');
        }
        line.append(Output.count(done)).append('/').append(Output.count(total))
                .append("  ").append(String.format(Locale.ROOT, "%3d%%", (int) Math.floor(fraction * 100)))
                .append("  ").append(rate).append("  ").append(eta);
        return line.toString();
    }

    static String bar(double fraction) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * BAR_WIDTH);
        return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
    }

    /** {@code rebuilt user_read_model: 12,345 events in 3.2s (3,858 events/s)} */
    static String summary(String name, long events, Duration took) {
        double seconds = Math.max(0.001, took.toMillis() / 1000.0);
        return String.format(Locale.ROOT, "rebuilt %s: %s events in %s (%,.0f events/s)",
                name, Output.count(events), Output.duration(took), events / seconds);
    }
}
