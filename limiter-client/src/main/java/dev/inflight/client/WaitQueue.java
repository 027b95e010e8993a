package dev.inflight.client;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.AcquireRequest;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;

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
  private final long pid;

  private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();

  WaitQueue(
      LeaseEngine engine,
      LeaseBook book,
      Registration registration,
      Retrying retrying,
      Clocks clocks,
      long pid) {
    this.engine = engine;
    this.book = book;
    this.registration = registration;
    this.retrying = retrying;
    this.clocks = clocks;
    this.pid = pid;
  }

  /** Starts tracking a request that the database has queued; its caller may cancel it. */
  Pending add(Pending p) {
    pending.put(p.token, p);
    p.future.whenComplete(
        (lease, error) -> {
          if (error != null && p.done.compareAndSet(false, true)) {
            pending.remove(p.token); // cancelled or completed by the caller
            leave(p);
          }
        });
    return p;
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

  Set<String> providers() {
    Set<String> out = new HashSet<>();
    for (Pending p : pending.values()) {
      out.add(p.provider);
    }
    return out;
  }

  /** Hands a granted lease to its waiting caller (dispatcher thread). */
  void deliver(Pending p, long leaseId, long acquiredAtMs) {
    if (!p.done.compareAndSet(false, true)) {
      return;
    }
    pending.remove(p.token);
    DefaultLease lease =
        book.granted(leaseId, p.token, p.provider, p.label, acquiredAtMs, p.askedAtNanos);
    if (!p.future.complete(lease)) {
      lease.close(); // the caller cancelled at the same instant
    }
  }

  /** The request's deadline passed (dispatcher thread): leave the queue, or take a late grant. */
  void expire(Pending p, ProviderState st) {
    if (!p.done.compareAndSet(false, true)) {
      return;
    }
    pending.remove(p.token);
    CancelOutcome c;
    try {
      c = retrying.briefly("leave the queue", () -> engine.cancel(p.token));
    } catch (StoreException e) {
      p.future.completeExceptionally(Errors.limiter(e));
      return;
    }
    if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
      DefaultLease lease =
          book.granted(c.leaseId(), p.token, p.provider, p.label, c.acquiredAtMs(), p.askedAtNanos);
      if (!p.future.complete(lease)) {
        lease.close();
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
   * reclaimed): queue it again under the same token, at the back (dispatcher thread).
   *
   * @return what the engine reclaimed on the way, for the caller to report
   */
  AcquireOutcome requeue(Pending p) {
    AcquireOutcome o =
        engine.acquire(
            new AcquireRequest(
                registration.id(Long.MAX_VALUE),
                pid,
                p.provider,
                p.label,
                p.token,
                AcquireMode.QUEUE));
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
    try {
      CancelOutcome c = retrying.briefly("leave the queue", () -> engine.cancel(p.token));
      if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
        book.granted(c.leaseId(), p.token, p.provider, p.label, c.acquiredAtMs(), p.askedAtNanos)
            .close();
      }
    } catch (StoreException e) {
      Events.LOG.log(
          Level.WARNING,
          "could not take a cancelled request for '"
              + Text.printable(p.provider)
              + "' out of the queue; it leaves when this process exits: "
              + e.getMessage());
    }
  }

  /** The limiter is closing: every waiting caller is told, and nothing is written. */
  void closeAll() {
    for (Pending p : pending.values()) {
      if (p.done.compareAndSet(false, true)) {
        p.future.completeExceptionally(new CancellationException("the limiter was closed"));
      }
    }
    pending.clear();
  }
}
