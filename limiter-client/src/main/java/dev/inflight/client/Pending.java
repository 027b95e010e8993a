package dev.inflight.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request of this process waiting in a provider's queue. {@link #done} is claimed, once, by
 * whoever completes it: the dispatcher delivering a lease or a timeout, or the caller cancelling.
 * {@link #position} is written by the dispatcher and read by anyone.
 */
final class Pending {
  /**
   * Its secret in the database; a new one when the dispatcher queues it again (dispatcher only).
   */
  volatile String token;

  final String provider;
  final String label;

  /** When the caller asked, by the monotonic ticker. */
  final long askedAtNanos;

  /** When the caller gives up, by the monotonic ticker; {@link Long#MAX_VALUE} for never. */
  final long deadlineNanos;

  /** The caller's timeout, for messages (null: none). */
  final Duration timeout;

  final CompletableFuture<Lease> future = new CompletableFuture<>();
  final AtomicBoolean done = new AtomicBoolean();
  volatile int position;

  /** The registration it is queued under (dispatcher writes, when it queues it again). */
  volatile int generation;

  Pending(
      String token,
      String provider,
      String label,
      long askedAtNanos,
      long deadlineNanos,
      Duration timeout,
      int position,
      int generation) {
    this.token = token;
    this.provider = provider;
    this.label = label;
    this.askedAtNanos = askedAtNanos;
    this.deadlineNanos = deadlineNanos;
    this.timeout = timeout;
    this.position = position;
    this.generation = generation;
  }
}
