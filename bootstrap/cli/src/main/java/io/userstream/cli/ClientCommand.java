package io.userstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A command that calls the services: the root's connection ({@link #clients()}), the chosen output
 * ({@link #output()}), stderr for progress and notes ({@link #err()}). {@link #call()} returns the exit code;
 * a gRPC failure thrown from it becomes one line on stderr and the matching {@link ExitCode}.
 */
public abstract class ClientCommand implements Callable<Integer> {

    @CommandLine.Spec
    protected CommandSpec spec;

    private Userstream root() {
        return (Userstream) spec.root().userObject();
    }

    protected Clients clients() {
        return root().clients();
    }

    protected ConnectionOptions connection() {
        return root().connection;
    }

    protected Output output() {
        return new Output(root().connection.output, spec.commandLine().getOut());
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected InputStream stdin() {
        return root().stdin();
    }
}
