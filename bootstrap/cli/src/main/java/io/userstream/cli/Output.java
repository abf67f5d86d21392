package io.userstream.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What commands print: tables for people, proto3 JSON for scripts, on the command line's stdout. */
public final class Output {

    public enum Format { TABLE, JSON }

    private static final JsonFormat.Printer JSON = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

    private final Format format;
    private final PrintWriter out;

    Output(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    public boolean json() {
        return format == Format.JSON;
    }

    /** The message in the proto3 JSON mapping (enums by name, int64 as strings, every field present). */
    public void json(MessageOrBuilder message) {
        out.println(toJson(message));
        out.flush();
    }

    public static String toJson(MessageOrBuilder message) {
        try {
            return JSON.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public void line(String text) {
        out.println(text);
        out.flush();
    }

    /** One record as two columns: field, value. */
    public void record(List<String[]> fields) {
        out.print(Table.render(null, fields));
        out.flush();
    }

    /** Rows under a header, columns aligned. */
    public void table(String[] header, List<String[]> rows) {
        out.print(Table.render(header, rows));
        out.flush();
    }

    public static String[] row(String... cells) {
        return cells;
    }

    /** A timestamp as an ISO-8601 instant; empty when unset. */
    public static String time(Timestamp timestamp) {
        if (timestamp == null || (timestamp.getSeconds() == 0 && timestamp.getNanos() == 0)) {
            return "";
        }
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos()).toString();
    }

    /** A short human duration: 850ms, 12.3s, 4m05s, 2h03m. */
    public static String duration(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long seconds = duration.toSeconds();
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
    }

    /** 1234567 as 1,234,567. */
    public static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** Column-aligned text; cells never wrap. */
    static final class Table {

        private Table() {
        }

        static String render(String[] header, List<String[]> rows) {
            List<String[]> all = new ArrayList<>();
            if (header != null) {
                all.add(header);
            }
            all.addAll(rows);
            int columns = all.stream().mapToInt(r -> r.length).max().orElse(0);
            int[] widths = new int[columns];
            for (String[] r : all) {
                for (int i = 0; i < r.length; i++) {
                    widths[i] = Math.max(widths[i], cell(r, i).length());
                }
            }
            StringBuilder text = new StringBuilder();
            for (String[] r : all) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    String value = cell(r, i);
                    line.append(value);
                    if (i < columns - 1) {
                        line.append(" ".repeat(widths[i] - value.length() + 2));
                    }
                }
                text.append(line.toString().stripTrailing()).append(System.lineSeparator());
            }
            return text.toString();
        }

        private static String cell(String[] row, int i) {
            if (i >= row.length || row[i] == null) {
                return "";
            }
            // One line per row: a value's line breaks would break the columns.
            return row[i].replace('\n', ' ').replace('\r', ' ');
        }
    }
}
