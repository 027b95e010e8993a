package dev.inflight.client;

import dev.inflight.store.Ending;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.PauseReason;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.CancelOutcome;
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
 * from (a release). {@link #retries} and {@link #cancels} are concurrent queues that callers add to
 * when a release or a cancel fails; {@link #retryPending} drains them under this object's lock (the
 * heartbeat thread, then close). A release that failed is retried with the same request, so its
 * outcome and Retry-After are never lost.
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
  private final ConcurrentLinkedQueue<String> cancels = new ConcurrentLinkedQueue<>();

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

  /**
   * Records a lease granted now, under registration {@code generation}, after the caller had waited
   * since {@code askedAtNanos}; {@code queued} when the request had waited in the queue.
   */
  DefaultLease granted(
      long id,
      String token,
      LeaseRequest request,
      long acquiredAtMs,
      long askedAtNanos,
      int generation,
      boolean queued) {
    long now = clocks.nanos();
    Duration waited = Duration.ofNanos(Math.max(0, now - askedAtNanos));
    if (waited.toMillis() == 0) {
      waited = Duration.ZERO;
    }
    DefaultLease lease =
        new DefaultLease(
            this, id, token, request, Instant.ofEpochMilli(acquiredAtMs), waited, now, generation);
    held.add(lease);
    events.acquired(lease, waited, queued);
    return lease;
  }

  /** A lease the database does not know (the fail-open policy): releasing it does nothing. */
  DefaultLease unrecorded(LeaseRequest request) {
    return new DefaultLease(
        this, 0, null, request, clocks.wall().instant(), Duration.ZERO, clocks.nanos(), 0);
  }

  ReleaseResult release(DefaultLease lease, Outcome outcome, Duration retryAfter, long usedTokens) {
    if (!lease.recorded()) {
      return ReleaseResult.NOT_RECORDED;
    }
    long retryMs = (retryAfter == null ? defaultRetryAfter : retryAfter).toMillis();
    ReleaseRequest request =
        new ReleaseRequest(
            lease.token(),
            Views.ending(outcome),
            outcome == Outcome.RATE_LIMITED ? retryMs : 0,
            usedTokens);
    ReleaseOutcome o;
    try {
      o =
          retrying.briefly(
              "release a lease",
              () -> {
                Dispatcher.SIGNALS_AFTER.set(true);
                try {
                  return engine.release(request);
                } finally {
                  Dispatcher.SIGNALS_AFTER.set(false);
                }
              });
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
      events.rateLimited(
          lease.provider(), pausedUntil, Instant.ofEpochMilli(o.atMs()), PauseReason.PROVIDER_429);
    }
    // The engine wakes other processes whose requests the release granted; this process's own
    // waiters are told now, after the events above (and of a cooldown or pause, which no grant
    // announces).
    if (result != ReleaseResult.LOST) {
      onFreed.run();
    }
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
   * A request the caller gave up on could not be taken out of its queue: try again later, and give
   * back the lease if it was granted meanwhile, so that a failed cancel never keeps a slot.
   */
  void cancelLater(String token) {
    cancels.add(token);
  }

  /**
   * Takes {@code token} out of its queue, or gives back its lease if it was granted: whichever it
   * is now. When the database cannot be written, {@link #retryPending} tries again later.
   */
  void giveBack(String token) {
    try {
      retrying.briefly(
          "leave the queue",
          () -> {
            cancelOrRelease(token);
            return null;
          });
    } catch (StoreException e) {
      cancelLater(token);
    }
  }

  private void cancelOrRelease(String token) {
    if (engine.cancel(token).kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
      engine.release(new ReleaseRequest(token, Ending.CANCELLED, 0));
    }
  }

  /**
   * Writes the releases and cancels that failed before, oldest first; stops at the first that fails
   * again. Called by the heartbeat thread, and by close once the heartbeat has stopped; the lock
   * keeps two callers from writing the same entry twice.
   */
  synchronized void retryPending() {
    String token;
    while ((token = cancels.peek()) != null) {
      cancelOrRelease(token);
      cancels.poll();
      onFreed.run();
    }
    retryReleases();
  }

  private void retryReleases() {
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

  /**
   * Registration {@code upTo} (and every earlier one) is gone: the leases granted under it are
   * lost, and are returned marked released. Leases granted since, under the new registration, stay.
   */
  List<DefaultLease> loseUpTo(int upTo) {
    List<DefaultLease> lost = new ArrayList<>();
    for (DefaultLease l : held) {
      if (l.generation() <= upTo && l.markReleased()) {
        lost.add(l);
      }
    }
    held.removeAll(lost);
    return lost;
  }

  /** Closing: every lease is given up (deregistering releases them in the database). */
  void forgetAll() {
    for (DefaultLease l : held) {
      l.markReleased();
    }
    held.clear();
  }
}
