package dev.inflight.store;

import java.util.Objects;

/**
 * Giving a lease back, with how its request ended. A release that could not be written is retried
 * with this same record, so a 429 is never retried as a success.
 *
 * @param retryAfterMs for {@link Ending#RATE_LIMITED}: how long the provider asked to pause
 */
public record ReleaseRequest(String token, Ending ending, long retryAfterMs) {
  public ReleaseRequest {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(ending, "ending");
    if (retryAfterMs < 0) {
      throw new IllegalArgumentException("retryAfterMs must be >= 0 (was " + retryAfterMs + ")");
    }
  }

  public static ReleaseRequest succeeded(String token) {
    return new ReleaseRequest(token, Ending.SUCCEEDED, 0);
  }
}
