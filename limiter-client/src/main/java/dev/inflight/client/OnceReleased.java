package dev.inflight.client;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every lease of this library does alike: checks the outcome it is released with, lets the
 * first release or close win (later ones report {@link ReleaseResult#ALREADY_RELEASED}), and makes
 * {@link #close()} a release that never throws a store failure (it is logged).
 */
abstract class OnceReleased implements Lease {
  private final long id;
  private final LeaseRequest request;
  private final String provider;
  private final String label;
  private final AtomicBoolean released = new AtomicBoolean();

  OnceReleased(long id, LeaseRequest request) {
    this.id = id;
    this.request = request;
    this.provider = request.provider();
    this.label = request.label();
  }

  @Override
  public final String model() {
    return request.model();
  }

  @Override
  public final int weight() {
    return request.weight();
  }

  @Override
  public final long id() {
    return id;
  }

  @Override
  public final String provider() {
    return provider;
  }

  @Override
  public final String label() {
    return label;
  }

  /**
   * The one release; {@code retryAfter} is null unless the caller gave one with a 429, and {@code
   * usedTokens} is -1 unless the caller reported the request's real token count.
   */
  abstract ReleaseResult releaseOnce(Outcome outcome, Duration retryAfter, long usedTokens);

  /** Marks the lease released without a release (its row is already gone); false if it was. */
  final boolean markReleased() {
    return released.compareAndSet(false, true);
  }

  @Override
  public final ReleaseResult release() {
    return release(Outcome.SUCCEEDED);
  }

  @Override
  public final ReleaseResult release(Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must be one of SUCCEEDED, RATE_LIMITED, FAILED, CANCELLED (was null)");
    }
    return releaseWith(outcome, null, -1);
  }

  @Override
  public final ReleaseResult release(Outcome outcome, long usedTokens) {
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must be one of SUCCEEDED, RATE_LIMITED, FAILED, CANCELLED (was null)");
    }
    if (usedTokens < 0) {
      throw new IllegalArgumentException(
          "usedTokens must be an integer from 0 to 100000000 (was " + usedTokens + ")");
    }
    return releaseWith(outcome, null, Validation.tokens("usedTokens", usedTokens));
  }

  @Override
  public final ReleaseResult releaseRateLimited(Duration retryAfter) {
    return releaseWith(Outcome.RATE_LIMITED, Validation.retryAfter(retryAfter), -1);
  }

  @Override
  public final ReleaseResult releaseRateLimited(Duration retryAfter, long usedTokens) {
    if (usedTokens < 0) {
      throw new IllegalArgumentException(
          "usedTokens must be an integer from 0 to 100000000 (was " + usedTokens + ")");
    }
    Duration r = Validation.retryAfter(retryAfter);
    return releaseWith(Outcome.RATE_LIMITED, r, Validation.tokens("usedTokens", usedTokens));
  }

  private ReleaseResult releaseWith(Outcome outcome, Duration retryAfter, long usedTokens) {
    if (!markReleased()) {
      return ReleaseResult.ALREADY_RELEASED;
    }
    return releaseOnce(outcome, retryAfter, usedTokens);
  }

  @Override
  public final void close() {
    try {
      release();
    } catch (LimiterException e) {
      Events.LOG.log(
          System.Logger.Level.WARNING, "could not release " + this + ": " + e.getMessage());
    }
  }

  /** What a description adds after the id, provider and label; nothing by default. */
  String describeMore() {
    return "";
  }

  @Override
  public final String toString() {
    return "Lease["
        + id
        + " "
        + Text.printable(request.key())
        + (request.weight() == 1 ? "" : " weight " + request.weight())
        + (label.isEmpty() ? "" : " '" + Text.printable(label) + "'")
        + describeMore()
        + "]";
  }
}
