package io.userstream.cli;

import io.grpc.Status;

/** The exit codes, one per kind of outcome a script may branch on (listed in {@code userstream --help}). */
public final class ExitCode {

    public static final int OK = 0;
    /** An internal server error, an unexpected client failure, or an operation that ran and failed. */
    public static final int FAILED = 1;
    /** Unknown command or option, missing or malformed argument (picocli's own). */
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    /** The server refused the request as it stands: invalid, conflicting, or not applicable now. */
    public static final int REJECTED = 4;
    public static final int NOT_ALLOWED = 5;
    /** Nothing wrong with the request: the service could not answer (in time); retrying may help. */
    public static final int UNAVAILABLE = 6;
    /** A comparison ran and found differences ({@code migrate verify}). */
    public static final int DIFFERENCES = 7;

    private ExitCode() {
    }

    public static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case NOT_FOUND -> NOT_FOUND;
            case INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE -> REJECTED;
            case UNAUTHENTICATED, PERMISSION_DENIED -> NOT_ALLOWED;
            case UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED -> UNAVAILABLE;
            case CANCELLED, UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS -> FAILED;
        };
    }
}
