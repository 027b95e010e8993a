package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A lease handed out by this process's limiter; the token is its proof of ownership. Released
 * exactly once: the first release or close wins, later ones do nothing.
 */
final class DefaultLease extends OnceReleased {
  private final LeaseBook book;
  private final String token;
  private final Instant acquiredAt;
  private final Duration waited;
  private final long grantedAtNanos;
  private final int generation;

  DefaultLease(
      LeaseBook book,
      long id,
      String token,
      LeaseRequest request,
      Instant acquiredAt,
      Duration waited,
      long grantedAtNanos,
      int generation) {
    super(id, request);
    this.book = book;
    this.token = token;
    this.acquiredAt = acquiredAt;
    this.waited = waited;
    this.grantedAtNanos = grantedAtNanos;
    this.generation = generation;
  }

  /** The registration of this process it was granted under (see {@link Registration}). */
  int generation() {
    return generation;
  }

  String token() {
    return token;
  }

  boolean recorded() {
    return token != null;
  }

  long grantedAtNanos() {
    return grantedAtNanos;
  }

  @Override
  public Instant acquiredAt() {
    return acquiredAt;
  }

  @Override
  public Duration waited() {
    return waited;
  }

  @Override
  ReleaseResult releaseOnce(Outcome outcome, Duration retryAfter, long usedTokens) {
    return book.release(this, outcome, retryAfter, usedTokens);
  }

  @Override
  public java.util.Map<String, String> childEnvironment() {
    return Lease.childEnvironment(token, provider(), model(), id());
  }
}
