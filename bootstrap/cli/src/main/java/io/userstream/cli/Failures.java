package io.userstream.cli;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Failures become one line on stderr and an {@link ExitCode}: a gRPC status names its code, the server's
 * message and every offending field of its {@code google.rpc.BadRequest}; never a stack trace (unless --verbose).
 */
final class Failures implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception failure, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        err.println("userstream: " + describe(failure));
        if (verbose(commandLine) && !(failure instanceof CliException)) {
            failure.printStackTrace(err);
        }
        err.flush();
        return exitCode(failure);
    }

    static int exitCode(Throwable failure) {
        if (failure instanceof CliException cli) {
            return cli.exitCode();
        }
        if (failure instanceof StatusRuntimeException status) {
            return ExitCode.of(status.getStatus().getCode());
        }
        if (failure instanceof CommandLine.ParameterException) {
            return ExitCode.USAGE;
        }
        return ExitCode.FAILED;
    }

    /** One line: what failed and why. */
    static String describe(Throwable failure) {
        if (failure instanceof StatusRuntimeException status) {
            return describe(status);
        }
        if (failure instanceof CliException) {
            return failure.getMessage();
        }
        return "unexpected failure: " + failure;
    }

    /**
     * {@code INVALID_ARGUMENT (email, username): <the server's message>}, with each field's own description
     * appended where the message does not already say it; a RetryInfo becomes {@code (retry after 250ms)}.
     */
    static String describe(StatusRuntimeException failure) {
        Status status = failure.getStatus();
        String message = status.getDescription() == null ? "" : status.getDescription().strip();
        List<String> fields = new ArrayList<>();
        List<String> unsaid = new ArrayList<>();
        Duration retryAfter = null;
        com.google.rpc.Status details = StatusProto.fromThrowable(failure);
        if (details != null) {
            for (Any detail : details.getDetailsList()) {
                try {
                    if (detail.is(BadRequest.class)) {
                        for (BadRequest.FieldViolation violation : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                            fields.add(violation.getField());
                            if (!message.contains(violation.getDescription())) {
                                unsaid.add(violation.getField() + ": " + violation.getDescription());
                            }
                        }
                    } else if (detail.is(RetryInfo.class)) {
                        com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                        retryAfter = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
                    }
                } catch (InvalidProtocolBufferException e) {
                    // A detail that does not parse adds nothing to the line.
                }
            }
        }
        StringBuilder line = new StringBuilder(status.getCode().name());
        if (!fields.isEmpty()) {
            line.append(" (").append(String.join(", ", fields)).append(')');
        }
        if (!message.isEmpty()) {
            line.append(": ").append(message.replace('\n', ' '));
        }
        if (!unsaid.isEmpty()) {
            line.append(" [").append(String.join("; ", unsaid)).append(']');
        }
        if (retryAfter != null) {
            line.append(" (retry after ").append(Output.duration(retryAfter)).append(')');
        }
        if (status.getCause() != null && status.getCode() == Status.Code.UNAVAILABLE) {
            line.append(" (").append(status.getCause().getMessage()).append(')');
        }
        return line.toString();
    }

    private static boolean verbose(CommandLine commandLine) {
        Object root = commandLine.getCommandSpec().root().userObject();
        return root instanceof Userstream userstream && userstream.connection != null && userstream.connection.verbose;
    }
}
