package dev.inflight.client;

import java.time.Duration;

/**
 * A provider's limit: at most {@code maxInFlight} leases at once; after each release the slot stays
 * counted for {@code cooldown} (for providers whose own counters lag); {@code paused} stops all
 * grants; {@code adaptive} lets 429s lower the limit in force (never below 1) and successes raise
 * it back, never above {@code maxInFlight}. Validated on construction, with the same rules the
 * database enforces.
 *
 * @param provider 1 to 200 characters, any Unicode but control characters
 * @param maxInFlight 1 to 10000
 * @param cooldown whole milliseconds from 0 to 1 hour
 */
public record LimitSpec(
    String provider, int maxInFlight, Duration cooldown, boolean paused, boolean adaptive) {

  public LimitSpec {
    Validation.provider(provider);
    Validation.maxInFlight(maxInFlight);
    cooldown = Validation.cooldown(cooldown);
  }

  /** A limit that is not adaptive. */
  public LimitSpec(String provider, int maxInFlight, Duration cooldown, boolean paused) {
    this(provider, maxInFlight, cooldown, paused, false);
  }

  /** A running (not paused) limit with no cooldown, not adaptive. */
  public static LimitSpec of(String provider, int maxInFlight) {
    return new LimitSpec(provider, maxInFlight, Duration.ZERO, false, false);
  }

  /** This limit with another cooldown. */
  public LimitSpec withCooldown(Duration cooldown) {
    return new LimitSpec(provider, maxInFlight, cooldown, paused, adaptive);
  }

  /** This limit, adaptive or not. */
  public LimitSpec withAdaptive(boolean adaptive) {
    return new LimitSpec(provider, maxInFlight, cooldown, paused, adaptive);
  }

  /**
   * Parses a user's text for {@code max_in_flight}, with the library's message on bad input.
   *
   * @throws IllegalArgumentException e.g. {@code max_in_flight must be an integer from 1 to 10000
   *     (was "2.5")}
   */
  public static int parseMaxInFlight(String text) {
    String t = text == null ? "" : text.strip();
    if (!t.matches("[+-]?[0-9]{1,9}")) {
      throw new IllegalArgumentException(
          "max_in_flight must be an integer from 1 to 10000 (was "
              + Validation.quote(String.valueOf(text))
              + ")");
    }
    return Validation.maxInFlight(Long.parseLong(t));
  }

  /** Checks a provider id and returns it, or throws with the rule and the value. */
  public static String checkProvider(String provider) {
    return Validation.provider(provider);
  }
}
