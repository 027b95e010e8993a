package dev.inflight.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Entry point for {@code bin/inflight app} and {@code bin/inflight demo}. A plain class on purpose:
 * JavaFX refuses an {@code Application} subclass as the main class on the class path.
 */
public final class Main {
  static final String USAGE =
      """
      usage: inflight app  [--home DIR]
             inflight demo [--no-gui] [--home DIR] [--agents N] [--duration 90s]

        app        the status window (a tray icon too, where the desktop has one)
        demo       simulated agents contend for openai (limit 2), anthropic (3, cooldown 400ms)
                   and llama-local (1); the window shows it, or a live table with --no-gui
                   or without a display. Ctrl-C stops every agent; their leases go with them.
        --home     config root (default: $INFLIGHT_HOME, else $XDG_CONFIG_HOME/inflight,
                   else ~/.config/inflight)
        --agents   number of agent processes (default 7, at most 24)
        --duration stop by itself after this long (e.g. 90s, 5m; default: until Ctrl-C)
      """;

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(List.of(args));
    } catch (UsageException e) {
      System.err.println("inflight: " + e.getMessage());
      System.err.print(USAGE);
      code = 2;
    }
    // Exit even if a tray icon's AWT thread would keep the JVM alive after the window quit.
    System.exit(code);
  }

  static int run(List<String> args) {
    if (args.isEmpty()) {
      throw new UsageException("say 'app' or 'demo'");
    }
    String cmd = args.get(0);
    Path home = null;
    boolean gui = true;
    int agents = 7;
    Duration duration = null;
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--home" -> home = Path.of(value(args, ++i, a));
        case "--no-gui" -> gui = false;
        case "--agents" -> agents = agents(value(args, ++i, a));
        case "--duration" -> duration = duration(value(args, ++i, a));
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return 0;
        }
        default -> {
          if (a.startsWith("--home=")) {
            home = Path.of(a.substring("--home=".length()));
          } else {
            throw new UsageException("unknown option '" + a + "'");
          }
        }
      }
    }
    switch (cmd) {
      case "app" -> {
        if (!gui) {
          throw new UsageException("'app' is the window; for a table use 'demo --no-gui'");
        }
        if (!hasDisplay()) {
          System.err.println(
              "inflight: no display (DISPLAY and WAYLAND_DISPLAY are unset);"
                  + " try 'inflight demo --no-gui' or 'inflight status'");
          return 1;
        }
        try {
          StatusApp.launch(home, duration);
        } catch (RuntimeException e) {
          System.err.println("inflight app: cannot open a window: " + StatusApp.whyNoWindow(e));
          return 1;
        }
        return 0;
      }
      case "demo" -> {
        return new Demo(home, gui && hasDisplay(), agents, duration).run();
      }
      case "-h", "--help" -> {
        System.out.print(USAGE);
        return 0;
      }
      default -> throw new UsageException("unknown command '" + cmd + "'");
    }
  }

  static boolean hasDisplay() {
    String x = System.getenv("DISPLAY");
    String w = System.getenv("WAYLAND_DISPLAY");
    return (x != null && !x.isEmpty()) || (w != null && !w.isEmpty());
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  static int agents(String text) {
    try {
      int n = Integer.parseInt(text.strip());
      if (n >= 1 && n <= 24) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new UsageException("--agents must be an integer from 1 to 24 (was \"" + text + "\")");
  }

  /** {@code 90}, {@code 90s}, {@code 5m}, {@code 1h}, {@code 1500ms}. */
  static Duration duration(String text) {
    String t = text.strip();
    try {
      Duration d;
      if (t.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      } else if (t.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("h")) {
        d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      } else {
        d = Duration.ofSeconds(Long.parseLong(t));
      }
      if (!d.isNegative() && !d.isZero()) {
        return d;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new UsageException(
        "--duration must be a positive duration such as 90s or 5m (was \"" + text + "\")");
  }

  /** Bad command line: the message says what and the usage follows. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
