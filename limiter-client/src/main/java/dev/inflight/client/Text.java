package dev.inflight.client;

import java.time.Duration;
import java.util.Locale;

/**
 * How inflight writes durations and untrusted text, the same in the library's messages, the command
 * line and the status app: one rule each, so that the same value never reads two ways.
 *
 * <ul>
 *   <li>{@link #duration}: {@code 250ms}, {@code 1.9s}, {@code 30s}, {@code 5m30s}, {@code 1h5m}.
 *       Tenths of a second are truncated, never rounded up: 1950 ms is {@code 1.9s}, as a stopwatch
 *       shows it.
 *   <li>{@link #countdown}: whole seconds rounded up, so that time left never shows 0 early.
 *   <li>{@link #printable}: text written by another process or by hand, with control characters
 *       shown as escapes, so that no label can move the cursor or clear a terminal.
 * </ul>
 */
public final class Text {
  private Text() {}

  /** A duration as people read it: {@code 250ms}, {@code 1.9s}, {@code 30s}, {@code 5m30s}. */
  public static String duration(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return ms % 1000 == 0 ? (ms / 1000) + "s" : (ms / 1000) + "." + (ms % 1000) / 100 + "s";
    }
    long s = ms / 1000;
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    }
    long h = s / 3600;
    if (h < 48) {
      return h + "h" + ((s % 3600) / 60 == 0 ? "" : ((s % 3600) / 60) + "m");
    }
    return (h / 24) + "d" + (h % 24 == 0 ? "" : (h % 24) + "h");
  }

  /**
   * Time left, in whole seconds rounded up: {@code 0s}, {@code 25s}, {@code 4m5s}, {@code 1h2m}.
   */
  public static String countdown(Duration d) {
    long s = (Math.max(0, d.toMillis()) + 999) / 1000;
    return s == 0 ? "0s" : duration(Duration.ofSeconds(s));
  }

  /** {@code 1st}, {@code 2nd}, {@code 3rd}, {@code 11th}. */
  public static String ordinal(int n) {
    int mod100 = n % 100;
    String suffix;
    if (mod100 >= 11 && mod100 <= 13) {
      suffix = "th";
    } else {
      suffix =
          switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
          };
    }
    return n + suffix;
  }

  /**
   * Text from the database (a label, a provider, a process name) as it is safe to print: control
   * characters, and the replacement character that stands for bytes that were not valid UTF-8,
   * become visible escapes ({@code \u001b}).
   */
  public static String printable(String s) {
    if (s == null) {
      return "";
    }
    if (allPrintable(s)) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .forEach(
            cp -> {
              if (unprintable(cp)) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", cp));
              } else {
                sb.appendCodePoint(cp);
              }
            });
    return sb.toString();
  }

  /** A loop, not codePoints().noneMatch: a stream pipeline costs milliseconds to set up. */
  private static boolean allPrintable(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (unprintable(s.charAt(i))) { // every character it looks for is one char
        return false;
      }
    }
    return true;
  }

  private static boolean unprintable(int cp) {
    return Character.isISOControl(cp) || cp == 0xFFFD || cp == 0x2028 || cp == 0x2029;
  }

  /**
   * Checks a lease's label: at most 200 characters, no control characters, valid text.
   *
   * @return the label, or "" for null
   * @throws IllegalArgumentException naming the rule and the value
   */
  public static String checkLabel(String label) {
    return Validation.label(label);
  }

  /**
   * Checks a timeout: from 0 to 30 days ({@code null}, waiting for ever, is fine).
   *
   * @param name how the caller spells the parameter in the message ({@code --timeout})
   * @throws IllegalArgumentException naming the parameter, the rule and the value
   */
  public static java.time.Duration checkTimeout(String name, java.time.Duration timeout) {
    return Validation.timeout(name, timeout);
  }

  /**
   * Checks that text came through as valid text: U+FFFD stands for bytes that were not valid UTF-8
   * (a command line typed in another locale).
   *
   * @throws IllegalArgumentException naming the parameter and the value
   */
  public static String checkValidText(String name, String value) {
    if (value != null && value.indexOf('\uFFFD') >= 0) {
      throw Validation.notText(name, value);
    }
    return value;
  }
}
