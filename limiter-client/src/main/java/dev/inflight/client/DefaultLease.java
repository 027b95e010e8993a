package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease handed out by this process's limiter; the token is its proof of ownership. Released
 * exactly once: the first release or close wins, later ones do nothing.
 */
final class DefaultLease implements Lease {
  private final LeaseBook book;
  private final long id;
  private final String token;
  private final String provider;
  private final String label;
  private final Instant acquiredAt;
  private final Duration waited;
  private final long grantedAtNanos;
  private final int generation;
  private final AtomicBoolean released = new AtomicBoolean();

  DefaultLease(
      LeaseBook book,
      long id,
      String token,
      String provider,
      String label,
      Instant acquiredAt,
      Duration waited,
      long grantedAtNanos,
      int generation) {
    this.book = book;
    this.id = id;
    this.token = token;
    this.provider = provider;
    this.label = label;
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

  /** Marks the lease released without touching the database (its row is already gone). */
  boolean markReleased() {
    return released.compareAndSet(false, true);
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public String provider() {
    return provider;
  }

  @Override
  public String label() {
    return label;
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
  public ReleaseResult release() {
    return release(Outcome.SUCCEEDED);
  }

  @Override
  public ReleaseResult release(Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must be one of SUCCEEDED, RATE_LIMITED, FAILED, CANCELLED (was null)");
    }
    return releaseWith(outcome, null);
  }

  @Override
  public ReleaseResult releaseRateLimited(Duration retryAfter) {
    return releaseWith(Outcome.RATE_LIMITED, Validation.retryAfter(retryAfter));
  }

  private ReleaseResult releaseWith(Outcome outcome, Duration retryAfter) {
    if (!released.compareAndSet(false, true)) {
      return ReleaseResult.ALREADY_RELEASED;
    }
    return book.release(this, outcome, retryAfter);
  }

  @Override
  public java.util.Map<String, String> childEnvironment() {
    return Lease.childEnvironment(token, provider, id);
  }

  @Override
  public void close() {
    try {
      release();
    } catch (LimiterException e) {
      Events.LOG.log(
          System.Logger.Level.WARNING, "could not release " + this + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "Lease["
        + id
        + " "
        + Text.printable(provider)
        + (label.isEmpty() ? "" : " '" + Text.printable(label) + "'")
        + "]";
  }
}
