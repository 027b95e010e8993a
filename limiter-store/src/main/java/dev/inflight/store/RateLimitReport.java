package dev.inflight.store;

import java.util.Objects;

/** A 429 that no lease carried, to pause the provider for every process. */
public record RateLimitReport(String provider, long retryAfterMs, PauseReason reason) {
  public RateLimitReport {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(reason, "reason");
    if (retryAfterMs < 0) {
      throw new IllegalArgumentException("retryAfterMs must be >= 0 (was " + retryAfterMs + ")");
    }
  }
}
