package dev.inflight.client;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * This process's queued requests, and the four ways one ends: delivered a lease, timed out, queued
 * again after its row vanished, or given up by its caller.
 *
 * <p>Thread-safety: {@link #pending} is a concurrent map. Callers add to it; the dispatcher
 * delivers, expires and re-queues; a caller's cancel leaves. Each {@link Pending} is completed by
 * whoever wins its {@code done} flag, so a request is completed exactly once.
 */
final class WaitQueue {
  private final LeaseEngine engine;
  private final LeaseBook book;
  private final Registration registration;
  private final Retrying retrying;
  private final Clocks clocks;

  private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
  private final LongAdder granted = new LongAdder();

  WaitQueue(
      LeaseEngine engine,
      LeaseBook book,
      Registration registration,
      Retrying retrying,
      Clocks clocks) {
    this.engine = engine;
    this.book = book;
    this.registration = registration;
    this.retrying = retrying;
    this.clocks = clocks;
  }

  /** Starts tracking a request that the database has queued; its caller may cancel it. */
  Pending add(Pending p) {
    pending.put(p.token, p);
    p.future.whenComplete(
        (lease, error) -> {
          if (error != null && p.claimGivenUp()) {
            pending.remove(p.token); // cancelled or completed by the caller
            leave(p);
          }
        });
    return p;
  }

  /** Requests granted after waiting, so far. */
  long granted() {
    return granted.sum();
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  Pending get(String token) {
    return pending.get(token);
  }

  Collection<Pending> all() {
    return new ArrayList<>(pending.values());
  }

  List<String> tokens() {
    return new ArrayList<>(pending.keySet());
  }

  /** Whether a request waits at one of {@code providers}. */
  boolean waitsAtAny(Set<String> providers) {
    for (Pending p : pending.values()) {
      if (providers.contains(p.provider)) {
        return true;
      }
    }
    return false;
  }

  Set<String> providers() {
    Set<String> out = new HashSet<>();
    for (Pending p : pending.values()) {
      out.add(p.provider);
    }
    return out;
  }

  /**
   * Hands a granted lease to its waiting caller (the dispatcher thread, or the thread of a wake-up
   * that named the grant: the same grant may so be delivered twice, and the second does nothing).
   */
  void deliver(Pending p, long leaseId, long acquiredAtMs) {
    String token = p.token;
    if (!p.claimDelivery()) {
      if (p.givenUp()) {
        // The caller gave up meanwhile, and its cancel may have missed this grant (it raced a
        // re-queue): the lease is ours and nobody will use it, so give it back.
        book.giveBack(token);
      }
      return; // delivered already, or its deadline's claim takes the grant
    }
    pending.remove(token);
    granted.increment();
    DefaultLease lease = lease(p, token, leaseId, acquiredAtMs);
    if (!p.future.complete(lease)) {
      unused(lease); // the caller cancelled at the same instant
    }
  }

  /**
   * Applies what a check read to the requests it names (dispatcher thread): delivers the granted,
   * notes positions, and queues again those whose row vanished, handing {@code reclaimed} what the
   * engine reclaimed on the way as it goes.
   */
  void apply(WaitCheck wc, Consumer<List<Reclaimed>> reclaimed) {
    for (Map.Entry<String, TokenState> e : wc.tokens().entrySet()) {
      Pending p = get(e.getKey());
      if (p == null) {
        continue;
      }
      TokenState ts = e.getValue();
      switch (ts.kind()) {
        case GRANTED -> deliver(p, ts.leaseId(), ts.acquiredAtMs());
        case QUEUED -> p.position = ts.position(); // deadlines are handled after the settle
        case MISSING -> {
          if (!p.done()) {
            try {
              reclaimed.accept(requeue(p).reclaimed());
            } catch (RuntimeException failure) {
              // One request that cannot be queued again must not stop the others, or deadlines.
              Events.LOG.log(
                  Level.WARNING,
                  "could not queue a request for '"
                      + Text.printable(p.provider)
                      + "' again (will retry): "
                      + failure.getMessage());
            }
          }
        }
      }
    }
  }

  /** The request's deadline passed (dispatcher thread): leave the queue, or take a late grant. */
  void expire(Pending p, ProviderState st) {
    if (!p.claimExpiry()) {
      return;
    }
    String token = p.token;
    pending.remove(token);
    CancelOutcome c;
    try {
      c = retrying.briefly("leave the queue", () -> engine.cancel(token));
    } catch (StoreException e) {
      book.cancelLater(token);
      p.future.completeExceptionally(Errors.limiter(e));
      return;
    }
    if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
      DefaultLease lease = lease(p, token, c.leaseId(), c.acquiredAtMs());
      if (!p.future.complete(lease)) {
        unused(lease);
      }
      return;
    }
    Duration waited =
        p.timeout != null
            ? p.timeout
            : Duration.ofNanos(Math.max(0, clocks.nanos() - p.askedAtNanos));
    LeaseTimeoutException e =
        st == null
            ? new LeaseTimeoutException(
                p.provider, waited, OptionalInt.empty(), 0, 0, 0, p.position, false)
            : new LeaseTimeoutException(
                p.provider,
                waited,
                st.limit(),
                st.active(),
                st.cooling(),
                Math.max(0, st.queued() - 1) + 1,
                p.position,
                st.paused(),
                Views.admissionState(st));
    Events.LOG.log(Level.INFO, e::getMessage);
    p.future.completeExceptionally(e);
  }

  /**
   * The request's row vanished (another process reclaimed it, usually because this process was
   * reclaimed, or someone deleted it): queue it again, at the back, under a fresh token (the old
   * one may still name a cooling lease) and this process's current registration (dispatcher
   * thread).
   *
   * @return what the engine reclaimed on the way, for the caller to report
   */
  AcquireOutcome requeue(Pending p) {
    String old = p.token;
    String token = DefaultLimiter.newToken();
    p.token = token;
    pending.put(token, p);
    pending.remove(old);
    Registration.Attempt a =
        registration.acquire(p.request, token, AcquireMode.QUEUE, Long.MAX_VALUE);
    AcquireOutcome o = a.outcome();
    p.generation = a.generation();
    if (p.givenUp()) {
      book.giveBack(
          token); // the caller gave up while this ran: its cancel could not see the new row
      pending.remove(token);
      return o;
    }
    if (p.done()) {
      return o; // granted at once, and a wake-up naming the grant delivered it already
    }
    if (o.kind() == AcquireOutcome.Kind.GRANTED) {
      deliver(p, o.leaseId(), o.atMs());
    } else {
      p.position = o.position();
      Events.LOG.log(
          Level.WARNING,
          "a request for '"
              + Text.printable(p.provider)
              + "' lost its place in the queue (removed by another process); queued again at"
              + " position "
              + o.position());
    }
    return o;
  }

  /** The caller gave up: take the request out of the queue, or give back a grant that raced. */
  private void leave(Pending p) {
    String token = p.token;
    try {
      CancelOutcome c = retrying.briefly("leave the queue", () -> engine.cancel(token));
      if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
        unused(lease(p, token, c.leaseId(), c.acquiredAtMs()));
      }
    } catch (StoreException e) {
      book.cancelLater(token);
      Events.LOG.log(
          Level.WARNING,
          "could not take a cancelled request for '"
              + Text.printable(p.provider)
              + "' out of the queue yet (will retry): "
              + e.getMessage());
    }
  }

  /**
   * Gives back a lease that its caller never saw, as {@link Outcome#CANCELLED}: it carried no
   * request, so it must not count as a success (an adaptive limit would step up on it).
   */
  private static void unused(DefaultLease lease) {
    try {
      lease.release(Outcome.CANCELLED);
    } catch (LimiterException e) {
      Events.LOG.log(
          Level.WARNING, "could not give back unused " + lease + " yet: " + e.getMessage());
    }
  }

  /** The lease the database granted to {@code p} under {@code token}, recorded as held. */
  private DefaultLease lease(Pending p, String token, long leaseId, long acquiredAtMs) {
    return book.granted(
        leaseId, token, p.request, acquiredAtMs, p.askedAtNanos, p.generation, true);
  }

  /** The limiter is closing: every waiting caller is told, and nothing is written. */
  void closeAll() {
    for (Pending p : pending.values()) {
      if (p.claimGivenUp()) {
        p.future.completeExceptionally(new CancellationException("the limiter was closed"));
      }
    }
    pending.clear();
  }
}
