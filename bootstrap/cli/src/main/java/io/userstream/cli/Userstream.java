package io.userstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The {@code userstream} command line: a gRPC client of user-service and user-stats-service's public API.
 *
 * <p>A command group is a class annotated {@code @Command} whose subcommands extend {@link ClientCommand}; it
 * joins the command line by being listed in {@code subcommands} below, and nothing else.
 */
@Command(name = "userstream",
        mixinStandardHelpOptions = true,
        versionProvider = Userstream.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Operates userstream over gRPC: users, their stats, projections and parked events.",
        subcommands = {
                UserCommands.class,
                StatsCommands.class,
                ProjectionsCommands.class,
                ParkedCommands.class,
                MigrateCommands.class,
                CommandLine.HelpCommand.class,
        },
        footerHeading = "%n",
        footer = {
                "Environment (an option given wins over its variable):",
                "  USERSTREAM_USER_SERVICE   --user-service  (default 127.0.0.1:9090)",
                "  USERSTREAM_STATS_SERVICE  --stats-service (default 127.0.0.1:9190)",
                "  USERSTREAM_TOKEN          --token         bearer token: a JWT, or the admin token",
                "  USERSTREAM_ACTOR          --actor         x-actor (authentication off)",
                "  USERSTREAM_TLS_CA         --tls-ca        CA certificates to trust (turns TLS on)",
                "  USERSTREAM_TLS_CERT       --tls-cert      client certificate (mutual TLS)",
                "  USERSTREAM_TLS_KEY        --tls-key       its PKCS#8 private key",
                "  USERSTREAM_DEADLINE       --deadline      per call (default 10s)",
                "  USERSTREAM_OUTPUT         --output        table or json (default table)",
                "  USERSTREAM_PASSWORD       user create's password, unless --password[-stdin]",
                "  USERSTREAM_LEGACY_JDBC_URL, _USER, _PASSWORD  migrate: the legacy database",
                "",
                "Exit codes:",
                "  0  success",
                "  1  failed: internal server error, or the operation ran and failed",
                "  2  usage: unknown command or option, missing or malformed argument",
                "  3  not found (NOT_FOUND)",
                "  4  rejected (INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION,",
                "     OUT_OF_RANGE)",
                "  5  not allowed (UNAUTHENTICATED, PERMISSION_DENIED)",
                "  6  unavailable, retry later (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,",
                "     RESOURCE_EXHAUSTED)",
                "  7  differences found (migrate verify)",
        })
public final class Userstream implements Runnable {

    @Mixin
    ConnectionOptions connection;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private InputStream stdin = System.in;
    private Clients clients;

    public static void main(String[] args) {
        quietNetty();
        int code;
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        code = commandLine(out, err, System.in).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * A short-lived client needs neither Netty's Unsafe tricks nor its native transport, whose use Java 23+
     * reports on stderr (which belongs to the command's messages); set before any Netty class loads.
     */
    static void quietNetty() {
        System.setProperty("io.grpc.netty.shaded.io.netty.noUnsafe", "true");
        System.setProperty("io.grpc.netty.shaded.io.netty.transport.noNative", "true");
    }

    /**
     * The command line, ready to {@link CommandLine#execute execute}, writing to {@code out} and {@code err}
     * and reading secrets from {@code in}. Each execution closes the channels it opened.
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, InputStream in) {
        Userstream root = new Userstream();
        root.stdin = in;
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setExecutionExceptionHandler(new Failures());
        commandLine.setExitCodeExceptionMapper(Failures::exitCode);
        commandLine.setExecutionStrategy(parseResult -> {
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } finally {
                root.closeClients();
            }
        });
        return commandLine;
    }

    /** Without a command: the usage, and exit code 2. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The channels of this execution, opened on first use (by whichever of a command's threads comes first). */
    synchronized Clients clients() {
        if (clients == null) {
            clients = new Clients(connection);
        }
        return clients;
    }

    InputStream stdin() {
        return stdin;
    }

    private synchronized void closeClients() {
        if (clients != null) {
            clients.close();
            clients = null;
        }
    }

    /** The version in the jar's manifest (a development build has none). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Userstream.class.getPackage().getImplementationVersion();
            return new String[] {"userstream " + (version == null ? "(development build)" : version)};
        }
    }
}
