package dev.inflight.client;

import java.time.Duration;

/** Argument checks whose messages name the parameter, the rule and the value. */
final class Validation {
  static final int MAX_PROVIDER_LENGTH = 200;
  static final int MAX_LABEL_LENGTH = 200;
  static final int MAX_IN_FLIGHT = 10_000;
  static final Duration MAX_COOLDOWN = Duration.ofHours(1);

  private Validation() {}

  static String provider(String provider) {
    if (provider == null) {
      throw new IllegalArgumentException(
          "provider must be 1 to 200 characters with no control characters (was null)");
    }
    int n = provider.codePointCount(0, provider.length());
    if (n < 1 || n > MAX_PROVIDER_LENGTH || hasControl(provider)) {
      throw new IllegalArgumentException(
          "provider must be 1 to 200 characters with no control characters (was "
              + quote(provider)
              + ")");
    }
    return provider;
  }

  static String label(String label) {
    if (label == null) {
      return "";
    }
    int n = label.codePointCount(0, label.length());
    if (n > MAX_LABEL_LENGTH || hasControl(label)) {
      throw new IllegalArgumentException(
          "label must be at most 200 characters with no control characters (was "
              + quote(label)
              + ")");
    }
    return label;
  }

  static int maxInFlight(long value) {
    if (value < 1 || value > MAX_IN_FLIGHT) {
      throw new IllegalArgumentException(
          "max_in_flight must be an integer from 1 to 10000 (was " + value + ")");
    }
    return (int) value;
  }

  static Duration cooldown(Duration cooldown) {
    if (cooldown == null) {
      return Duration.ZERO;
    }
    if (cooldown.isNegative()
        || cooldown.compareTo(MAX_COOLDOWN) > 0
        || cooldown.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          "cooldown must be whole milliseconds from 0 to 1h (was " + cooldown + ")");
    }
    return cooldown;
  }

  static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

  /** A Retry-After: null means the default; else 0 to 24 hours. */
  static Duration retryAfter(Duration retryAfter) {
    if (retryAfter == null) {
      return null;
    }
    if (retryAfter.isNegative() || retryAfter.compareTo(MAX_RETRY_AFTER) > 0) {
      throw new IllegalArgumentException(
          "retryAfter must be from 0 to 24h (was " + retryAfter + ")");
    }
    return retryAfter;
  }

  static Duration timeout(Duration timeout) {
    if (timeout == null) {
      return null;
    }
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be zero or positive (was " + timeout + ")");
    }
    return timeout;
  }

  static boolean hasControl(String s) {
    return s.codePoints().anyMatch(Character::isISOControl);
  }

  /** The value as a Java string literal, so control characters are visible in the message. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              if (cp == '"' || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
              } else if (Character.isISOControl(cp)) {
                sb.append(String.format("\\u%04x", cp));
              } else {
                sb.appendCodePoint(cp);
              }
            });
    if (sb.length() > 80) {
      return sb.substring(0, 60) + "…\" (" + s.codePointCount(0, s.length()) + " characters)";
    }
    return sb.append('"').toString();
  }
}
