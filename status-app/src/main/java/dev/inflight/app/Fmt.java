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

  /**
   * A count of requests or tokens, short: {@code 412}, {@code 28k}, {@code 1.5k}, {@code 2.4M} (one
   * decimal below ten of the unit, none above; never rounded up to the next unit's value).
   */
  static String amount(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    if (n < 1_000_000) {
      return scaled(n, 1000, "k");
    }
    if (n < 1_000_000_000) {
      return scaled(n, 1_000_000, "M");
    }
    return scaled(n, 1_000_000_000, "G");
  }

  private static String scaled(long n, long unit, String suffix) {
    long tenths = n * 10 / unit; // rounded down: 29999 is 29.9k, never 30k
    if (tenths >= 100 || tenths % 10 == 0) {
      return tenths / 10 + suffix;
    }
    return tenths / 10 + "." + tenths % 10 + suffix;
  }

  static String process(long pid, String name) {
    return name == null || name.isBlank() ? Long.toString(pid) : pid + " " + Text.printable(name);
  }
}
