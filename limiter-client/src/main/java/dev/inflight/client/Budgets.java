package dev.inflight.client;

import java.time.Duration;

/** The checks of per-minute budgets, shared by provider and model limits. */
final class Budgets {
  static final int MAX_REQUESTS_PER_MINUTE = 1_000_000;
  static final long MAX_TOKENS_PER_MINUTE = 1_000_000_000L;
  static final Duration MIN_AGING = Duration.ofSeconds(1);
  static final Duration MAX_AGING = Duration.ofHours(1);

  private Budgets() {}

  static void check(long requestsPerMinute, long tokensPerMinute, long defaultTokens) {
    if (requestsPerMinute < 0 || requestsPerMinute > MAX_REQUESTS_PER_MINUTE) {
      throw new IllegalArgumentException(
          "requests_per_minute must be an integer from 1 to 1000000, or 0 for none (was "
              + requestsPerMinute
              + ")");
    }
    if (tokensPerMinute < 0 || tokensPerMinute > MAX_TOKENS_PER_MINUTE) {
      throw new IllegalArgumentException(
          "tokens_per_minute must be an integer from 1 to 1000000000, or 0 for none (was "
              + tokensPerMinute
              + ")");
    }
    if (defaultTokens < 0 || defaultTokens > Validation.MAX_TOKENS) {
      throw new IllegalArgumentException(
          "default_tokens must be an integer from 0 to 100000000 (was " + defaultTokens + ")");
    }
    if (tokensPerMinute > 0 && defaultTokens > tokensPerMinute) {
      throw new IllegalArgumentException(
          "default_tokens must be at most tokens_per_minute ("
              + tokensPerMinute
              + "), or no request that names none could ever be granted (was "
              + defaultTokens
              + ")");
    }
  }

  static Duration aging(Duration aging) {
    if (aging == null) {
      return LimitSpec.DEFAULT_AGING;
    }
    if (aging.compareTo(MIN_AGING) < 0
        || aging.compareTo(MAX_AGING) > 0
        || aging.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          "aging must be whole milliseconds from 1s to 1h (was " + aging + ")");
    }
    return aging;
  }
}
