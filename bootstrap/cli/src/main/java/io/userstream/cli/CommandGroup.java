package io.userstream.cli;

import picocli.CommandLine;

/** A group of commands ({@code user}, {@code projections}, ...): run without one, it shows usage and exits 2. */
public abstract class CommandGroup implements Runnable {

    @CommandLine.Spec
    protected CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "'" + spec.qualifiedName() + "' needs a command: " + String.join(", ", spec.subcommands().keySet()));
    }
}
