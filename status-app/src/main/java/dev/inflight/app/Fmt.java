package dev.inflight.app;

import java.time.Duration;

/** How the app and the demo's table write durations: short, and precise where it matters. */
final class Fmt {
  private Fmt() {}

  static String duration(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 10_000) {
      return String.format("%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm %02ds", s / 60, s % 60);
    }
    return String.format("%dh %02dm", s / 3600, (s / 60) % 60);
  }

  /** Time left, in whole seconds rounded up so that it never shows 0 early: {@code 25s}. */
  static String countdown(Duration d) {
    long s = (Math.max(0, d.toMillis()) + 999) / 1000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm %02ds", s / 60, s % 60);
    }
    return String.format("%dh %02dm", s / 3600, (s / 60) % 60);
  }

  /** A cooldown as the user would type it back: {@code 0}, {@code 500ms}, {@code 2s}. */
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
    return name == null || name.isBlank() ? Long.toString(pid) : pid + " " + name;
  }
}
