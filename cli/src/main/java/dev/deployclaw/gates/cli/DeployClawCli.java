package dev.deployclaw.gates.cli;

import dev.deployclaw.gates.core.internal.Secrets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code deployclaw analyze} (DDL risk per statement, no database needed) and {@code deployclaw check} (every gate
 * against a live database). Exit codes: 0 safe, 1 blocked, 2 usage or connection error.
 */
@Command(name = "deployclaw", mixinStandardHelpOptions = true, version = "deployclaw 0.1.0",
        description = "Pre-migration safety gates: what each statement locks, rewrites and breaks, before it runs.",
        subcommands = {AnalyzeCommand.class, CheckCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:safe to migrate", "1:blocked", "2:usage or connection error"})
public final class DeployClawCli implements Runnable {
    public static final int SAFE = 0;
    public static final int BLOCKED = 1;
    public static final int USAGE_OR_CONNECTION = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: analyze or check");
    }

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** Runs the CLI in-process and returns its exit code (what {@link #main} passes to {@code System.exit}). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new DeployClawCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(e -> USAGE_OR_CONNECTION);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println(Secrets.mask(ex.getMessage()));
            ex.getCommandLine().usage(err);
            err.flush();
            return USAGE_OR_CONNECTION;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("deployclaw: " + Secrets.mask(ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            err.flush();
            return USAGE_OR_CONNECTION;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
