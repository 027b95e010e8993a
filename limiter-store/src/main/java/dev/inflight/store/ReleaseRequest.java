package dev.inflight.store;

import java.util.Objects;

/**
 * Giving a lease back, with how its request ended. A release that could not be written is retried
 * with this same record, so a 429 is never retried as a success.
 *
 * @param retryAfterMs for {@link Ending#RATE_LIMITED}: how long the provider asked to pause
 * @param usedTokens the tokens the request really used, which replace what it reserved in the
 *     budgets' window; -1 when unknown (the reservation stands)
 */
public record ReleaseRequest(String token, Ending ending, long retryAfterMs, long usedTokens) {
  public ReleaseRequest {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(ending, "ending");
    if (retryAfterMs < 0) {
      throw new IllegalArgumentException("retryAfterMs must be >= 0 (was " + retryAfterMs + ")");
    }
    if (usedTokens < -1 || usedTokens > 1_000_000_000L) {
      throw new IllegalArgumentException(
          "usedTokens must be between 0 and 1000000000, or -1 when unknown (was "
              + usedTokens
              + ")");
    }
  }

  /** A release that reports no token count. */
  public ReleaseRequest(String token, Ending ending, long retryAfterMs) {
    this(token, ending, retryAfterMs, -1);
  }

  public static ReleaseRequest succeeded(String token) {
    return new ReleaseRequest(token, Ending.SUCCEEDED, 0);
  }
}
