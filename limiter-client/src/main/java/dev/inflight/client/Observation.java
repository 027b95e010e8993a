package dev.inflight.client;

import java.time.Instant;
import java.util.Optional;

/**
 * What {@link Limiter#observe} understood of a response's rate-limit headers and shared with every
 * process. Counts are -1, and times empty, where the headers said nothing it could read.
 *
 * @param pausedUntil when the pause a {@code retry-after} asked for ends
 */
public record Observation(
    long requestsRemaining,
    Optional<Instant> requestsResetAt,
    long tokensRemaining,
    Optional<Instant> tokensResetAt,
    Optional<Instant> pausedUntil) {

  /** Whether the headers said anything this library acts on. */
  public boolean understood() {
    return requestsRemaining >= 0 || tokensRemaining >= 0 || pausedUntil.isPresent();
  }
}
