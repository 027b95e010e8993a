package dev.inflight.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Parses the everyday, valid forms of {@code status} and {@code run} without picocli.
 *
 * <p>Why: picocli is compiled for Java 5, so the JVM can neither share its classes through the
 * class-data-sharing archive nor verify them quickly; building the command model costs more than
 * the rest of a {@code run} or {@code status}. Scripts start these two thousands of times. Anything
 * this parser is not sure about (help, an unknown or repeated option, a bad value, a missing
 * argument, any other command) returns {@code null}, and picocli parses the line with its usual
 * messages, so behaviour is the same either way.
 */
final class FastPath {
  private FastPath() {}

  /** The command to call for {@code args}, or null to let picocli parse them. */
  static Callable<Integer> parse(String[] args, Inflight top) {
    Cursor c = new Cursor(args, top);
    String name = null;
    while (c.more()) {
      String a = c.next();
      if (!c.global(a)) {
        name = a;
        break;
      }
    }
    if (name == null || c.failed) {
      return null;
    }
    Callable<Integer> cmd =
        switch (name) {
          case "status" -> status(c);
          case "run" -> run(c);
          default -> null;
        };
    return c.failed ? null : cmd;
  }

  private static Callable<Integer> status(Cursor c) {
    StatusCommand s = new StatusCommand();
    s.top = c.top;
    boolean json = false;
    while (c.more()) {
      String a = c.next();
      if (a.equals("--json") && !json) {
        json = true;
      } else if (!c.global(a)) {
        return null;
      }
    }
    s.json = json;
    return s;
  }

  private static Callable<Integer> run(Cursor c) {
    RunCommand r = new RunCommand();
    r.top = c.top;
    String provider = null;
    String label = null;
    String timeout = null;
    String rateLimitedCode = null;
    String retryAfter = null;
    String weight = null;
    String priority = null;
    String tokens = null;
    boolean quiet = false;
    while (c.more()) {
      String a = c.next();
      if (a.equals("--")) {
        break;
      } else if (!a.startsWith("-") || a.equals("-")) {
        c.back();
        break;
      } else if (a.equals("-q") || a.equals("--quiet")) {
        if (quiet) {
          return null;
        }
        quiet = true;
      } else if (isOption(a, "-p", "--provider")) {
        if (provider != null) {
          return null;
        }
        provider = c.value(a);
      } else if (isOption(a, "-l", "--label")) {
        if (label != null) {
          return null;
        }
        label = c.value(a);
      } else if (isOption(a, "-t", "--timeout")) {
        if (timeout != null) {
          return null;
        }
        timeout = c.value(a);
      } else if (isOption(a, "--rate-limited-exit-code", "--rate-limited-exit-code")) {
        if (rateLimitedCode != null) {
          return null;
        }
        rateLimitedCode = c.value(a);
      } else if (isOption(a, "--retry-after", "--retry-after")) {
        if (retryAfter != null) {
          return null;
        }
        retryAfter = c.value(a);
      } else if (isOption(a, "--weight", "--weight")) {
        if (weight != null) {
          return null;
        }
        weight = c.value(a);
      } else if (isOption(a, "--priority", "--priority")) {
        if (priority != null) {
          return null;
        }
        priority = c.value(a);
      } else if (isOption(a, "--tokens", "--tokens")) {
        if (tokens != null) {
          return null;
        }
        tokens = c.value(a);
      } else if (!c.global(a)) {
        return null;
      }
      if (c.failed) {
        return null;
      }
    }
    List<String> command = c.rest();
    if (provider == null || command.isEmpty()) {
      return null;
    }
    r.provider = provider;
    r.label = label == null ? "" : label;
    r.quiet = quiet;
    r.command = command;
    r.rateLimitedExitCode = rateLimitedCode; // these four are checked by the command, as after
    r.weight = weight; // picocli
    r.priority = priority;
    r.tokens = tokens;
    try {
      r.timeout = timeout == null ? null : DurationText.parse(timeout);
      r.retryAfter = retryAfter == null ? null : DurationText.parse(retryAfter);
    } catch (RuntimeException e) {
      return null; // picocli words the message with the option's name
    }
    return r;
  }

  private static boolean isOption(String arg, String shortName, String longName) {
    return arg.equals(shortName) || arg.equals(longName) || arg.startsWith(longName + "=");
  }

  /** Reads {@code args} left to right; {@link #failed} makes the caller fall back to picocli. */
  private static final class Cursor {
    final String[] args;
    final Inflight top;
    int i;
    boolean failed;
    private boolean home;

    Cursor(String[] args, Inflight top) {
      this.args = args;
      this.top = top;
    }

    boolean more() {
      return i < args.length;
    }

    String next() {
      return args[i++];
    }

    void back() {
      i--;
    }

    List<String> rest() {
      return Arrays.asList(Arrays.copyOfRange(args, i, args.length));
    }

    /** The option's value: after '=' or the next argument (which must not look like an option). */
    String value(String arg) {
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        return arg.substring(eq + 1);
      }
      if (!more() || args[i].startsWith("-")) {
        failed = true;
        return null;
      }
      return next();
    }

    /** Consumes a global option ({@code --home}, {@code --verbose}); false if it is not one. */
    boolean global(String arg) {
      if (arg.equals("--verbose")) {
        if (top.verbose) {
          failed = true;
        }
        top.verbose = true;
        return true;
      }
      if (isOption(arg, "--home", "--home")) {
        String v = value(arg);
        if (home || v == null || v.isEmpty()) {
          failed = true;
          return true;
        }
        home = true;
        try {
          top.home = Path.of(v);
        } catch (RuntimeException e) {
          failed = true;
        }
        return true;
      }
      return false;
    }
  }
}
