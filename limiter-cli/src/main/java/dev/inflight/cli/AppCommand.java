package dev.inflight.cli;

import dev.inflight.client.LimiterException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inflight app}: the status window (run by the status app, see {@link Commands}). */
@Command(
    name = "app",
    header = "Open the status window (needs a display).",
    description = {
      "Opens the status window on the config root (every provider, lease and waiter, live, with"
          + " edits in place), and a tray icon where the desktop has one. Needs a display and GTK 3;"
          + " without a display, 'inflight status --watch' shows the same live in the terminal."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  inflight app", "  inflight app --home ~/.cache/inflight-demo"})
final class AppCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description = "Quit by itself after this long (e.g. 90s, 5m). Default: stay open.")
  Duration duration;

  @Override
  public Integer call() {
    Duration d = positive("--duration", duration);
    Inflight top = Inflight.of(spec);
    return launcher(top, "app").app(top.root(), top.db, d);
  }

  /** The status app's launcher, or a message saying how to start the command. */
  static StatusAppLauncher launcher(Inflight top, String command) {
    if (top.statusApp == null) {
      throw new LimiterException(
          "'"
              + command
              + "' runs in the status app (module status-app): start it as 'bin/inflight "
              + command
              + "'");
    }
    return top.statusApp;
  }

  /** {@code d} when positive or null; else a message naming the option, the rule and the value. */
  static Duration positive(String option, Duration d) {
    if (d != null && (d.isZero() || d.isNegative())) {
      throw new IllegalArgumentException(
          option
              + " must be a positive duration such as 90s or 5m (was "
              + dev.inflight.client.Text.duration(d)
              + ")");
    }
    return d;
  }
}
