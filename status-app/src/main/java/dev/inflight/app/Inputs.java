package dev.inflight.app;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what a user typed into values, refusing bad input with the library's own messages: the
 * library validates; this only reads units.
 */
final class Inputs {
  private static final Pattern COOLDOWN =
      Pattern.compile("\\s*([0-9]{1,10})(?:\\.([0-9]{1,3}))?\\s*(ms|s|m|h)?\\s*");

  static final int MAX_LIMIT = 10_000;
  static final long MAX_COOLDOWN_MS = 3_600_000L;

  private Inputs() {}

  /**
   * Reads a limit as the window calls it ("limit", the library's {@code max_in_flight}).
   *
   * @throws IllegalArgumentException e.g. {@code limit must be an integer from 1 to 10000 (was
   *     "2.5")}
   */
  static int limit(String text) {
    String t = text == null ? "" : text.strip();
    if (t.matches("[+-]?[0-9]{1,9}")) {
      long v = Long.parseLong(t);
      if (v >= 1 && v <= MAX_LIMIT) {
        return (int) v;
      }
      throw new IllegalArgumentException(
          "limit must be an integer from 1 to " + MAX_LIMIT + " (was " + v + ")");
    }
    throw new IllegalArgumentException(
        "limit must be an integer from 1 to " + MAX_LIMIT + " (was \"" + t + "\")");
  }

  private static final Pattern PER_MINUTE =
      Pattern.compile("\\s*([0-9]{1,10})(?:\\.([0-9]{1,3}))?\\s*([kKmM])?\\s*");

  /**
   * Reads a per-minute budget ({@code rpm} or {@code tpm}): a whole number, or one with {@code k}
   * or {@code M}, as in {@code 30k} or {@code 1.5M}; blank or {@code 0} means none. The range is
   * the library's to check.
   *
   * @param name the library's name of the value ({@code requests_per_minute}), for the message
   * @throws IllegalArgumentException e.g. {@code requests_per_minute must be an integer from 1 to
   *     1000000, or 0 for none (was "ten")}
   */
  static long perMinute(String name, long max, String text) {
    if (text == null || text.isBlank()) {
      return 0;
    }
    Matcher m = PER_MINUTE.matcher(text);
    IllegalArgumentException bad =
        new IllegalArgumentException(
            name
                + " must be an integer from 1 to "
                + max
                + ", or 0 for none (was \""
                + text.strip()
                + "\")");
    if (!m.matches()) {
      throw bad;
    }
    long unit = m.group(3) == null ? 1 : m.group(3).equalsIgnoreCase("k") ? 1000 : 1_000_000;
    String frac = m.group(2) == null ? "" : m.group(2);
    long scale = (long) Math.pow(10, frac.length());
    long fracPart = frac.isEmpty() ? 0 : Long.parseLong(frac) * unit;
    if (fracPart % scale != 0) {
      throw bad; // 1.5 requests
    }
    long v = Long.parseLong(m.group(1)) * unit + fracPart / scale;
    if (v > max) {
      throw new IllegalArgumentException(
          name + " must be an integer from 1 to " + max + ", or 0 for none (was " + v + ")");
    }
    return v;
  }

  static final int MAX_RPM = 1_000_000;
  static final long MAX_TPM = 1_000_000_000L;

  /** A requests-per-minute budget; see {@link #perMinute}. */
  static int rpm(String text) {
    return (int) perMinute("requests_per_minute", MAX_RPM, text);
  }

  /** A tokens-per-minute budget; see {@link #perMinute}. */
  static long tpm(String text) {
    return perMinute("tokens_per_minute", MAX_TPM, text);
  }

  /**
   * Reads a cooldown: a plain number is milliseconds; {@code ms}, {@code s}, {@code m} and {@code
   * h} are accepted, as in {@code 250ms} or {@code 1.5s}. Blank means zero.
   *
   * @throws IllegalArgumentException in the library's words, e.g. {@code cooldown must be whole
   *     milliseconds from 0 to 1h (was "abc")}
   */
  static Duration cooldown(String text) {
    if (text == null || text.isBlank()) {
      return Duration.ZERO;
    }
    Matcher m = COOLDOWN.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "cooldown must be whole milliseconds from 0 to 1h (was \"" + text.strip() + "\")");
    }
    String unit = m.group(3) == null ? "ms" : m.group(3);
    long unitMs =
        switch (unit) {
          case "ms" -> 1;
          case "s" -> 1000;
          case "m" -> 60_000;
          default -> 3_600_000;
        };
    String frac = m.group(2) == null ? "" : m.group(2);
    long whole = Long.parseLong(m.group(1));
    long fracMs = frac.isEmpty() ? 0 : Long.parseLong(frac) * unitMs;
    long scale = (long) Math.pow(10, frac.length());
    if (fracMs % scale != 0
        || whole > MAX_COOLDOWN_MS
        || whole * unitMs + fracMs / scale > MAX_COOLDOWN_MS) {
      throw new IllegalArgumentException(
          "cooldown must be whole milliseconds from 0 to 1h (was \"" + text.strip() + "\")");
    }
    return Duration.ofMillis(whole * unitMs + fracMs / scale);
  }
}
