package dev.inflight.client;

import java.time.Duration;

/**
 * A provider's limit: at most {@code maxInFlight} units in flight at once (a lease takes its
 * weight); after each release the slot stays counted for {@code cooldown} (for providers whose own
 * counters lag); {@code paused} stops all grants; {@code adaptive} lets 429s lower the limit in
 * force (never below 1) and successes raise it back, never above {@code maxInFlight}. Per-minute
 * budgets count the requests started, and the tokens they reserved (or, once released, used), in
 * any 60 seconds. Validated on construction, with the same rules the database enforces.
 *
 * @param provider 1 to 200 characters, any Unicode but control characters
 * @param maxInFlight 1 to 10000; 0 for no in-flight cap, when a budget holds instead
 * @param cooldown whole milliseconds from 0 to 1 hour
 * @param requestsPerMinute 1 to 1000000; 0 for none
 * @param tokensPerMinute 1 to 1000000000; 0 for none
 * @param defaultTokens tokens a request expects when it says nothing (0 to the token budget)
 * @param aging how long a queued request waits before it rises one priority class (1 s to 1 h)
 */
public record LimitSpec(
    String provider,
    int maxInFlight,
    Duration cooldown,
    boolean paused,
    boolean adaptive,
    int requestsPerMinute,
    long tokensPerMinute,
    long defaultTokens,
    Duration aging) {

  /** The aging interval of a provider that does not set one. */
  public static final Duration DEFAULT_AGING = Duration.ofSeconds(30);

  public LimitSpec {
    Validation.provider(provider);
    if (maxInFlight != 0 || (requestsPerMinute == 0 && tokensPerMinute == 0)) {
      Validation.maxInFlight(maxInFlight); // 0 (no cap) only where a budget holds instead
    }
    cooldown = Validation.cooldown(cooldown);
    Budgets.check(requestsPerMinute, tokensPerMinute, defaultTokens);
    aging = Budgets.aging(aging);
  }

  public LimitSpec(
      String provider, int maxInFlight, Duration cooldown, boolean paused, boolean adaptive) {
    this(provider, maxInFlight, cooldown, paused, adaptive, 0, 0, 0, DEFAULT_AGING);
  }

  public LimitSpec(String provider, int maxInFlight, Duration cooldown, boolean paused) {
    this(provider, maxInFlight, cooldown, paused, false);
  }

  public static LimitSpec of(String provider, int maxInFlight) {
    return new LimitSpec(provider, maxInFlight, Duration.ZERO, false, false);
  }

  public LimitSpec withMaxInFlight(int max) {
    return new LimitSpec(
        provider,
        max,
        cooldown,
        paused,
        adaptive,
        requestsPerMinute,
        tokensPerMinute,
        defaultTokens,
        aging);
  }

  public LimitSpec withCooldown(Duration cooldown) {
    return new LimitSpec(
        provider,
        maxInFlight,
        cooldown,
        paused,
        adaptive,
        requestsPerMinute,
        tokensPerMinute,
        defaultTokens,
        aging);
  }

  public LimitSpec withAdaptive(boolean adaptive) {
    return new LimitSpec(
        provider,
        maxInFlight,
        cooldown,
        paused,
        adaptive,
        requestsPerMinute,
        tokensPerMinute,
        defaultTokens,
        aging);
  }

  /** These budgets (0 for none), keeping the rest. */
  public LimitSpec withBudgets(int requestsPerMinute, long tokensPerMinute, long defaultTokens) {
    return new LimitSpec(
        provider,
        maxInFlight,
        cooldown,
        paused,
        adaptive,
        requestsPerMinute,
        tokensPerMinute,
        defaultTokens,
        aging);
  }

  public LimitSpec withAging(Duration aging) {
    return new LimitSpec(
        provider,
        maxInFlight,
        cooldown,
        paused,
        adaptive,
        requestsPerMinute,
        tokensPerMinute,
        defaultTokens,
        aging);
  }

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
