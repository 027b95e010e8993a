package dev.inflight.app;

import dev.inflight.client.Text;
import java.time.Duration;

/** How the app and the demo's table write durations: short, and precise where it matters. */
final class Fmt {
  private Fmt() {}

  /** Durations the library's way (one rule for the library, the CLI and the app). */
  static String duration(Duration d) {
    return Text.duration(d);
  }

  /** Time left, in whole seconds rounded up, so that it never shows 0 early: {@code 25s}. */
  static String countdown(Duration d) {
    return Text.countdown(d);
  }

  /**
   * A cooldown exactly as the user would type it back into its field: {@code 0}, {@code 500ms},
   * {@code 2s}, {@code 1250ms} (never rounded, unlike a displayed duration).
   */
  static String cooldown(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  static String process(long pid, String name) {
    return name == null || name.isBlank() ? Long.toString(pid) : pid + " " + Text.printable(name);
  }
}
