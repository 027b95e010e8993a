package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A request that runs inside a lease an ancestor process holds (see {@link Joining}). It counts
 * nothing of its own: releasing it leaves the ancestor's lease held. A 429 it reports still pauses
 * the provider for everyone, as {@link Limiter#report429} does.
 */
final class JoinedLease extends OnceReleased {
  private final String token;
  private final Instant parentAcquiredAt;
  private final Instant joinedAt;
  private final BiFunction<String, Duration, Instant> report429;

  JoinedLease(
      long id,
      String token,
      LeaseRequest request,
      Instant parentAcquiredAt,
      Instant joinedAt,
      BiFunction<String, Duration, Instant> report429) {
    super(id, request);
    this.token = token;
    this.parentAcquiredAt = parentAcquiredAt;
    this.joinedAt = joinedAt;
    this.report429 = report429;
  }

  /** When this request joined; the ancestor's lease may be older ({@link #toString}). */
  @Override
  public Instant acquiredAt() {
    return joinedAt;
  }

  @Override
  public Duration waited() {
    return Duration.ZERO;
  }

  @Override
  ReleaseResult releaseOnce(Outcome outcome, Duration retryAfter, long usedTokens) {
    if (outcome == Outcome.RATE_LIMITED) {
      report429.apply(provider(), retryAfter);
    }
    return ReleaseResult.JOINED;
  }

  /** The same inheritance again: a grandchild joins the same lease. */
  @Override
  public Map<String, String> childEnvironment() {
    return Lease.childEnvironment(token, provider(), model(), id());
  }

  @Override
  String describeMore() {
    return ", joined; held by an ancestor since " + parentAcquiredAt;
  }
}
