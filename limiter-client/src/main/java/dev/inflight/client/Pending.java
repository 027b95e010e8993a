package dev.inflight.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A request of this process waiting in a provider's queue. It is claimed, once, by whoever
 * completes it, and the claim says how: a delivery of its lease (by the dispatcher, or by a wake-up
 * that named the grant), its deadline (the dispatcher, which then takes a grant that raced the
 * deadline), or the caller giving up (a cancel, the limiter closing). A deliverer that loses the
 * claim gives the lease back only in the last case. {@link #position} is written by the dispatcher
 * and read by anyone.
 */
final class Pending {
  /**
   * Its secret in the database; a new one when the dispatcher queues it again (dispatcher only).
   */
  volatile String token;

  final LeaseRequest request;
  final String provider;
  final String label;

  /** When the caller asked, by the monotonic ticker. */
  final long askedAtNanos;

  /** When the caller gives up, by the monotonic ticker; {@link Long#MAX_VALUE} for never. */
  final long deadlineNanos;

  /** The caller's timeout, for messages (null: none). */
  final Duration timeout;

  final CompletableFuture<Lease> future = new CompletableFuture<>();
  private static final int WAITING = 0;
  private static final int DELIVERED = 1;
  private static final int EXPIRING = 2;
  private static final int GIVEN_UP = 3;

  private final AtomicInteger state = new AtomicInteger(WAITING);
  volatile int position;

  /** The registration it is queued under (dispatcher writes, when it queues it again). */
  volatile int generation;

  /** Claims it for delivering its lease; false when it was claimed already. */
  boolean claimDelivery() {
    return state.compareAndSet(WAITING, DELIVERED);
  }

  /** Claims it for its deadline; false when it was claimed already. */
  boolean claimExpiry() {
    return state.compareAndSet(WAITING, EXPIRING);
  }

  /** Claims it because its caller gave up; false when it was claimed already. */
  boolean claimGivenUp() {
    return state.compareAndSet(WAITING, GIVEN_UP);
  }

  /** Whether anyone has claimed it. */
  boolean done() {
    return state.get() != WAITING;
  }

  /** Whether its caller gave up (so that a lease granted to it is nobody's). */
  boolean givenUp() {
    return state.get() == GIVEN_UP;
  }

  Pending(
      String token,
      LeaseRequest request,
      long askedAtNanos,
      long deadlineNanos,
      Duration timeout,
      int position,
      int generation) {
    this.token = token;
    this.request = request;
    this.provider = request.provider();
    this.label = request.label();
    this.askedAtNanos = askedAtNanos;
    this.deadlineNanos = deadlineNanos;
    this.timeout = timeout;
    this.position = position;
    this.generation = generation;
  }
}
