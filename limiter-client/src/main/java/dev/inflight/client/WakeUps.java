package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.Grant;
import dev.inflight.store.Rows.TokenState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The grants that reach this process's queued requests: wake-ups (from another process's socket, or
 * a direct call when this process granted), and the one-statement read of "which of my requests
 * hold a lease". A wake-up that names its grants hands them over on the thread it arrives on; any
 * other raises the dispatcher's {@link Cues#GRANTED} cue, and the dispatcher reads.
 *
 * <p>Thread-safety: the counters are atomic; delivery is the wait queue's (each request is claimed
 * once).
 */
final class WakeUps {
  private final WaitQueue queue;
  private final LeaseEngine engine;
  private final Registration registration;
  private final Cues cues;
  private final Thread dispatcher;

  /**
   * Grants announced to a thread of this process while it held its signals back (a release: see
   * {@link Dispatcher#SIGNALS_AFTER}), for that thread to hand over after its own events; null in
   * the list stands for a wake-up that named nothing.
   */
  private final ThreadLocal<List<Grant>> heldBack = ThreadLocal.withInitial(ArrayList::new);

  private final AtomicLong received = new AtomicLong();
  private final LongAdder signals = new LongAdder();
  private final LongAdder unread = new LongAdder();
  private final LongAdder reads = new LongAdder();

  WakeUps(
      WaitQueue queue,
      LeaseEngine engine,
      Registration registration,
      Cues cues,
      Thread dispatcher) {
    this.queue = queue;
    this.engine = engine;
    this.registration = registration;
    this.cues = cues;
    this.dispatcher = dispatcher;
  }

  /**
   * Another process (or this one) granted a lease to one of this process's queued requests; {@code
   * grants} are those its waker named (committed), possibly none.
   */
  void woken(List<Grant> grants) {
    if (Dispatcher.SIGNALS_AFTER.get()) {
      // A caller of this process that announces them once it has told its listeners.
      List<Grant> later = heldBack.get();
      if (grants.isEmpty()) {
        later.add(null);
      } else {
        later.addAll(grants);
      }
      return;
    }
    received.incrementAndGet();
    boolean here = Thread.currentThread() == dispatcher;
    if (!here) {
      signals.increment();
      // The waker said what it committed: hand those leases over now, on this thread, unread.
      if (!grants.isEmpty() && deliverNamed(grants)) {
        unread.increment();
        return;
      }
    }
    // On the dispatcher thread itself (its settle, a give-back, a re-queue) the grant is read at
    // the next turn of the loop: the pass under way may have read before it, and what the settle
    // reclaimed to make room is reported first.
    cues.raise(Cues.GRANTED, !here);
  }

  /**
   * Hands over, on this thread, the grants held back while it released (see {@link #woken}).
   *
   * @return whether there were some and all were handed over; when not, the caller signals the
   *     dispatcher as it would have without them (it reads the grants at its next turn, too)
   */
  boolean announceHeldBack() {
    List<Grant> later = heldBack.get();
    if (later.isEmpty()) {
      return false;
    }
    List<Grant> grants = new ArrayList<>(later);
    later.clear();
    received.incrementAndGet(); // a request queued just now may be among them
    if (!grants.contains(null) && deliverNamed(grants)) {
      unread.increment();
      return true;
    }
    cues.raise(Cues.GRANTED, true);
    return false;
  }

  /**
   * Delivers every grant named; false when one names no request of this queue (queued a moment ago
   * and not in the queue yet, say): then the grants are read.
   */
  private boolean deliverNamed(List<Grant> grants) {
    boolean all = true;
    for (Grant g : grants) {
      all &= handOver(g.token(), g.leaseId(), g.acquiredAtMs());
    }
    return all;
  }

  /** Reads which queued requests were granted, and hands those leases over: one statement. */
  boolean take() {
    reads.increment();
    return deliver(engine.granted(registration.current(), queue.tokens()));
  }

  /** Hands over the leases of the queued requests that {@code granted} names. */
  boolean deliver(Map<String, TokenState> granted) {
    boolean any = false;
    for (Map.Entry<String, TokenState> e : granted.entrySet()) {
      any |= handOver(e.getKey(), e.getValue().leaseId(), e.getValue().acquiredAtMs());
    }
    return any;
  }

  /** Delivers a lease to the queued request holding {@code token}; false when none does. */
  private boolean handOver(String token, long leaseId, long acquiredAtMs) {
    Pending p = queue.get(token);
    if (p == null) {
      return false;
    }
    queue.deliver(p, leaseId, acquiredAtMs);
    return true;
  }

  /**
   * How many wake-ups this process has received so far. A caller reads it before queueing a
   * request: a wake-up that arrives before the request is in the wait queue may have been for it.
   */
  long received() {
    return received.get();
  }

  /** Wake-up messages from other processes so far. */
  long signals() {
    return signals.sum();
  }

  /** Reads of the grants, and wake-ups that handed leases over without one, so far. */
  long looks() {
    return reads.sum() + unread.sum();
  }
}
