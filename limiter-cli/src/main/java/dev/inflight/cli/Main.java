package dev.inflight.cli;

import dev.inflight.client.LeaseTimeoutException;
import dev.inflight.client.LimiterException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** Entry point of the {@code inflight} command (see bin/inflight). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Output out = Output.install();
    int code = run(args);
    System.out.flush();
    // A reader that stopped reading (| head) is not a failure: say nothing, as other tools do.
    if (out.failure() != null && !"Broken pipe".equals(out.failure().getMessage())) {
      System.err.println("inflight: cannot write the output: " + reason(out.failure()));
      if (code == ExitCodes.OK) {
        code = ExitCodes.FAILURE;
      }
    }
    System.err.flush();
    System.exit(code);
  }

  private static String reason(java.io.IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Parses and runs one command line; returns the exit code. */
  static int run(String[] args) {
    // Before anything logs: java.util.logging then loads only if the library logs at all.
    System.setProperty("java.util.logging.config.class", LogConfig.class.getName());
    Inflight fastTop = new Inflight();
    Callable<Integer> fast = FastPath.parse(args, fastTop);
    if (fast != null) {
      if (fastTop.verbose) {
        System.setProperty(LogConfig.VERBOSE, "true");
      }
      try {
        return fast.call();
      } catch (Exception e) {
        return failure(e, fastTop, System.err);
      }
    }
    return Commands.commandLine(new Inflight()).execute(args);
  }

  /** Maps what a command threw to a message and an exit code; stack traces only with --verbose. */
  static int failure(Exception e, Inflight top, PrintStream err) {
    int code;
    if (e instanceof IllegalArgumentException) {
      err.println("inflight: " + e.getMessage());
      code = ExitCodes.USAGE;
    } else if (e instanceof LeaseTimeoutException) {
      err.println("inflight: " + e.getMessage());
      code = ExitCodes.TIMEOUT;
    } else if (e instanceof LimiterException) {
      err.println("inflight: " + e.getMessage());
      code = ExitCodes.FAILURE;
    } else if (e instanceof UncheckedIOException) {
      err.println("inflight: cannot write the output: " + e.getCause().getMessage());
      code = ExitCodes.FAILURE;
    } else {
      err.println("inflight: failed with the database " + databaseFile(top) + ": " + e);
      code = ExitCodes.FAILURE;
    }
    if (top.verbose) {
      e.printStackTrace(err);
    }
    return code;
  }

  private static String databaseFile(Inflight top) {
    try {
      return top.database();
    } catch (RuntimeException e) {
      return "(config root not resolvable: " + e.getMessage() + ")";
    }
  }
}
