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
    if (provider.indexOf('\uFFFD') >= 0) {
      throw notText("provider", provider);
    }
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
    if (label.indexOf('\uFFFD') >= 0) {
      throw notText("label", label);
    }
    if (n > MAX_LABEL_LENGTH || hasControl(label)) {
      throw new IllegalArgumentException(
          "label must be at most 200 characters with no control characters (was "
              + quote(label)
              + ")");
    }
    return label;
  }

  /** A model name: "" for none, else like a provider name (1 to 200 characters, no controls). */
  static String model(String model) {
    if (model == null || model.isEmpty()) {
      return "";
    }
    int n = model.codePointCount(0, model.length());
    if (model.indexOf('\uFFFD') >= 0) {
      throw notText("model", model);
    }
    if (n > MAX_PROVIDER_LENGTH || hasControl(model)) {
      throw new IllegalArgumentException(
          "model must be at most 200 characters with no control characters (was "
              + quote(model)
              + ")");
    }
    return model;
  }

  /**
   * A model is named by its own name under its provider: {@code gpt-4o}, not {@code openai/gpt-4o}.
   */
  static void ownModelName(String provider, String model) {
    if (model.startsWith(provider + "/")) {
      throw new IllegalArgumentException(
          "model must be the model's own name under its provider (was "
              + quote(model)
              + " under "
              + quote(provider)
              + "; give "
              + quote(model.substring(provider.length() + 1))
              + ")");
    }
  }

  static int weight(long value) {
    if (value < 1 || value > MAX_IN_FLIGHT) {
      throw new IllegalArgumentException(
          "weight must be an integer from 1 to 10000 (was " + value + ")");
    }
    return (int) value;
  }

  static final long MAX_TOKENS = 100_000_000L;

  /** Tokens a request expects, or really used: 0 to 100000000; -1 means "the default". */
  static long tokens(String name, long value) {
    if (value < -1 || value > MAX_TOKENS) {
      throw new IllegalArgumentException(
          name + " must be an integer from 0 to 100000000 (was " + value + ")");
    }
    return value;
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

  /** The longest wait a timeout may ask for; "for ever" is no timeout at all (null). */
  static final Duration MAX_TIMEOUT = Duration.ofDays(30);

  static Duration timeout(Duration timeout) {
    return timeout("timeout", timeout);
  }

  /** A timeout named {@code name} in the message (the CLI says {@code --timeout}). */
  static Duration timeout(String name, Duration timeout) {
    if (timeout == null) {
      return null;
    }
    if (timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          name + " must be from 0 to 30d (was " + timeout + "); leave it out to wait for ever");
    }
    return timeout;
  }

  /**
   * U+FFFD stands for bytes that were not valid text (a command line in a non-UTF-8 locale, a file
   * name): refused, since the name would silently change and collide with others.
   */
  static IllegalArgumentException notText(String name, String value) {
    return new IllegalArgumentException(
        name
            + " must be valid UTF-8 text (was "
            + quote(value)
            + ", where \\ufffd stands for bytes that are not; check the terminal's locale)");
  }

  static boolean hasControl(String s) {
    // A loop, not codePoints().anyMatch: a stream pipeline costs milliseconds to set up at start.
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) { // every control character is one char
        return true;
      }
    }
    return false;
  }

  /** The value as a Java string literal, so control characters are visible in the message. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              if (cp == '"' || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
              } else if (Character.isISOControl(cp) || cp == 0xFFFD) {
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
