package dev.inflight.cli;

import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one picocli model of the {@code inflight} command: parsing, help, version, completion and the
 * man page all come from it, in the CLI's JVM and in the status app's (which runs {@code app} and
 * {@code demo}, see {@link #runStatusApp}).
 */
public final class Commands {
  private Commands() {}

  /** The command line for {@code top}, with the project's help, errors and parsing rules. */
  static CommandLine commandLine(Inflight top) {
    CommandLine cl = new CommandLine(top);
    addHelpOption(cl);
    cl.setExpandAtFiles(false); // "@file" is an ordinary argument (e.g. curl -d @body.json)
    cl.getSubcommands().get("run").setStopAtPositional(true);
    cl.setUsageHelpAutoWidth(true);
    CliHelp.install(cl);
    cl.setParameterExceptionHandler(Commands::badUsage);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> Main.failure(e, top, System.err));
    cl.setExecutionStrategy(
        parsed -> {
          if (top.verbose) {
            System.setProperty(LogConfig.VERBOSE, "true");
          }
          return new CommandLine.RunLast().execute(parsed);
        });
    return cl;
  }

  /** The model alone, for help, completion and the man page. */
  static CommandLine model() {
    return commandLine(new Inflight());
  }

  /**
   * Parses and runs {@code inflight app ...} or {@code inflight demo ...} in the status app's JVM,
   * which {@code bin/inflight} starts for those two words; returns the exit code.
   */
  public static int runStatusApp(String[] args, StatusAppLauncher launcher) {
    Inflight top = new Inflight();
    top.statusApp = launcher;
    return commandLine(top).execute(args);
  }

  /**
   * picocli's message, except for a word that is neither an option nor a parameter: "Unmatched
   * argument at index 0: 'stat'" says where, not what; this says "unknown command 'stat'" (where a
   * command was expected) or "unexpected argument 'extra'".
   */
  static String message(ParameterException e) {
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String first = u.getUnmatched().get(0);
      if (!first.startsWith("-")) {
        boolean commandExpected = !e.getCommandLine().getSubcommands().isEmpty();
        return (commandExpected ? "unknown command '" : "unexpected argument '")
            + dev.inflight.client.Text.printable(first)
            + "'";
      }
    }
    return e.getMessage();
  }

  /** {@code -h, --help} on every subcommand (the top command declares its own, with -V). */
  private static void addHelpOption(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    if (spec.parent() != null && spec.findOption("--help") == null) {
      spec.addOption(
          OptionSpec.builder("-h", "--help")
              .usageHelp(true)
              .description("Show this help and exit.")
              .build());
    }
    for (CommandLine child : cl.getSubcommands().values()) {
      addHelpOption(child);
    }
  }

  private static int badUsage(ParameterException e, String[] args) {
    PrintStream err = System.err;
    err.println("inflight: " + message(e));
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("See '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
    return ExitCodes.USAGE;
  }
}
