package dev.inflight.cli;

import dev.inflight.client.ConfigRoot;
import dev.inflight.client.Limiter;
import dev.inflight.client.LimiterBuilder;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level command: global options and the list of subcommands. */
@Command(
    name = "inflight",
    versionProvider = BuildInfo.class,
    sortOptions = false,
    description = {
      "A cooperative concurrency limit per provider and model, with per-minute budgets, shared"
          + " by every process on this machine through one SQLite database (no daemon).",
      ""
    },
    subcommands = {
      StatusCommand.class,
      LimitsCommand.class,
      PauseCommand.class,
      ResumeCommand.class,
      Report429Command.class,
      ObserveCommand.class,
      RunCommand.class,
      ReleaseCommand.class,
      AppCommand.class,
      DemoCommand.class,
      HelpPathCommand.class,
      CompletionCommand.class,
      ManCommand.class
    },
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nExamples:%n",
    footer = {
      "  inflight limits set openai 4",
      "  inflight limits set openai/gpt-4o 1 --rpm 30 --tpm 30000",
      "  inflight run --provider openai --label planner -- python agent.py",
      "  inflight run -p openai/gpt-4o --priority interactive --tokens 1200 -- ./ask.sh",
      "  inflight status",
      "  inflight report-429 openai --retry-after 20s",
      "  inflight help run"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "COMMAND's:'run' exits with COMMAND's own code (128+N after signal N)",
      "2:bad usage or input; nothing was changed",
      "75:'run': no lease within --timeout",
      "1:any other failure"
    })
final class Inflight implements Runnable {
  /** How {@code app} and {@code demo} start; null in the CLI's own JVM (see {@link Commands}). */
  StatusAppLauncher statusApp;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit ('inflight help COMMAND' for a command's).")
  boolean help;

  @Option(
      names = {"-V", "--version"},
      versionHelp = true,
      description = "Print the version and this checkout's commit, and exit.")
  boolean version;

  @Option(
      names = "--home",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description =
          "Config root holding limiter.db (default: $INFLIGHT_HOME, else"
              + " $XDG_CONFIG_HOME/inflight, else ~/.config/inflight).")
  Path home;

  @Option(
      names = "--db",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description =
          "A PostgreSQL database shared by many machines (password from the URL, PGPASSWORD or"
              + " ~/.pgpass; never printed), as postgresql://[user@]host[:port]/db[?sslmode=…]."
              + " Default: $INFLIGHT_DATABASE_URL, else limiter.db in the config root.")
  String db;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Show the library's log lines and stack traces of failures.")
  boolean verbose;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  /** The config root this invocation uses. */
  Path root() {
    if (home != null && home.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "--home must name a directory (was \"\"; leave it out to use $INFLIGHT_HOME,"
              + " $XDG_CONFIG_HOME/inflight or ~/.config/inflight)");
    }
    return ConfigRoot.resolve(home);
  }

  /** The database file this invocation uses (for messages). */
  Path databaseFile() {
    return ConfigRoot.databaseFile(root());
  }

  /** The PostgreSQL database this invocation uses, or null for the SQLite file. */
  String databaseUrl() {
    return db != null ? db : ConfigRoot.databaseUrl(System.getenv());
  }

  /** Where this invocation's state lives, for messages: the file, or the URL masked. */
  String database() {
    String url = databaseUrl();
    return url != null ? ConfigRoot.masked(url) : databaseFile().toString();
  }

  /**
   * Opens the shared database. Call only after all input was checked, so that bad input changes
   * nothing, not even by creating the file.
   */
  Limiter open() {
    LimiterBuilder b = Limiter.builder().home(root());
    if (db != null) {
      b.database(db);
    }
    return b.build();
  }

  static Inflight of(CommandSpec spec) {
    return (Inflight) spec.root().userObject();
  }
}
