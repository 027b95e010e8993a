package dev.inflight.client;

import dev.inflight.store.Ending;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.PauseReason;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The leases this process holds, and the releases that could not be written yet.
 *
 * <p>Thread-safety: {@link #held} is a concurrent set that any thread adds to (a grant) and removes
 * from (a release). {@link #retries} is a concurrent queue that callers add to when a release
 * fails; only the heartbeat thread (and {@link DefaultLimiter#close}) drains it. A release that
 * failed is retried with the same request, so its outcome and Retry-After are never lost.
 */
final class LeaseBook {
  private final LeaseEngine engine;
  private final Clocks clocks;
  private final Events events;
  private final Retrying retrying;
  private final Duration defaultRetryAfter;
  private final Runnable onFreed;

  private final Set<DefaultLease> held = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Retry> retries = new ConcurrentLinkedQueue<>();

  /** A release to write again: the request as it was first made, and its lease's provider. */
  private record Retry(ReleaseRequest request, String provider) {}

  LeaseBook(
      LeaseEngine engine,
      Clocks clocks,
      Events events,
      Retrying retrying,
      Duration defaultRetryAfter,
      Runnable onFreed) {
    this.engine = engine;
    this.clocks = clocks;
    this.events = events;
    this.retrying = retrying;
    this.defaultRetryAfter = defaultRetryAfter;
    this.onFreed = onFreed;
  }

  /** Records a lease granted now, after the caller had waited since {@code askedAtNanos}. */
  DefaultLease granted(
      long id, String token, String provider, String label, long acquiredAtMs, long askedAtNanos) {
    long now = clocks.nanos();
    Duration waited = Duration.ofNanos(Math.max(0, now - askedAtNanos));
    if (waited.toMillis() == 0) {
      waited = Duration.ZERO;
    }
    DefaultLease lease =
        new DefaultLease(
            this, id, token, provider, label, Instant.ofEpochMilli(acquiredAtMs), waited, now);
    held.add(lease);
    events.acquired(lease, waited);
    return lease;
  }

  /** A lease the database does not know (the fail-open policy): releasing it does nothing. */
  DefaultLease unrecorded(String provider, String label) {
    return new DefaultLease(
        this, 0, null, provider, label, clocks.wall().instant(), Duration.ZERO, clocks.nanos());
  }

  ReleaseResult release(DefaultLease lease, Outcome outcome, Duration retryAfter) {
    if (!lease.recorded()) {
      return ReleaseResult.NOT_RECORDED;
    }
    long retryMs = (retryAfter == null ? defaultRetryAfter : retryAfter).toMillis();
    ReleaseRequest request =
        new ReleaseRequest(
            lease.token(), Views.ending(outcome), outcome == Outcome.RATE_LIMITED ? retryMs : 0);
    ReleaseOutcome o;
    try {
      o = retrying.briefly("release a lease", () -> engine.release(request));
    } catch (StoreException e) {
      retries.add(new Retry(request, lease.provider()));
      held.remove(lease);
      throw new LimiterException(
          e.getMessage() + " (the release will be retried, with its outcome)", e);
    }
    held.remove(lease);
    ReleaseResult result =
        switch (o.kind()) {
          case RELEASED -> ReleaseResult.RELEASED;
          case COOLING -> ReleaseResult.COOLING;
          case NOT_HELD -> ReleaseResult.LOST;
        };
    Duration heldFor = Duration.ofNanos(Math.max(0, clocks.nanos() - lease.grantedAtNanos()));
    events.released(lease, heldFor, result);
    if (outcome == Outcome.RATE_LIMITED) {
      long until = o.pausedUntilMs();
      if (result == ReleaseResult.LOST) {
        until = rateLimitedAfterLoss(lease.provider(), retryMs, until);
      }
      Instant pausedUntil = Instant.ofEpochMilli(Math.max(until, o.atMs() + retryMs));
      events.rateLimited(lease.provider(), pausedUntil);
    }
    onFreed.run();
    return result;
  }

  /** The slot was already taken back, but the provider did say 429: everyone must hear it. */
  private long rateLimitedAfterLoss(String provider, long retryMs, long until) {
    try {
      RateLimitReport report = new RateLimitReport(provider, retryMs, PauseReason.PROVIDER_429);
      return retrying.briefly("record a 429", () -> engine.report429(report)).pausedUntilMs();
    } catch (StoreException e) {
      Events.LOG.log(
          Level.WARNING, "could not record a 429 for '" + Text.printable(provider) + "': " + e);
      return until;
    }
  }

  /**
   * Writes the releases that failed before, oldest first; stops at the first that fails again.
   * Heartbeat thread (and close) only.
   */
  void retryReleases() {
    Retry r;
    while ((r = retries.peek()) != null) {
      ReleaseRequest request = r.request();
      ReleaseOutcome o = engine.release(request);
      if (o.kind() == ReleaseOutcome.Kind.NOT_HELD && request.ending() == Ending.RATE_LIMITED) {
        engine.report429(
            new RateLimitReport(r.provider(), request.retryAfterMs(), PauseReason.PROVIDER_429));
      }
      retries.poll();
      Events.LOG.log(
          Level.INFO,
          "wrote a release of '"
              + Text.printable(r.provider())
              + "' ("
              + request.ending()
              + ") that had failed before");
      onFreed.run();
    }
  }

  /** Whether releases are waiting to be written. */
  boolean retriesPending() {
    return !retries.isEmpty();
  }

  /** The registration is gone: every lease is lost. Returns them, marked released. */
  List<DefaultLease> loseAll() {
    List<DefaultLease> lost = new ArrayList<>();
    for (DefaultLease l : held) {
      if (l.markReleased()) {
        lost.add(l);
      }
    }
    held.clear();
    return lost;
  }
}
