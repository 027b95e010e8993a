package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * Hears what this process's limiter does. Methods run on the thread that caused the event (the
 * caller or the limiter's dispatcher): keep them short and never block. Exceptions they throw are
 * logged and ignored.
 */
public interface LimiterListener {
  /**
   * A request had to wait.
   *
   * @param position 1 for the head of the queue
   * @param ahead requests ahead of it in the queue
   */
  default void queued(String provider, String label, int position, int ahead) {}

  /** A lease was granted, after {@code waited} in the queue (zero when granted at once). */
  default void acquired(Lease lease, Duration waited) {}

  /** A lease was given back after being held for {@code held}. */
  default void released(Lease lease, Duration held, ReleaseResult result) {}

  /** Leases or waiters of a dead or silent process were taken back by this process. */
  default void reclaimed(ReclaimInfo whose, ReclaimInfo.Reason why) {}

  /**
   * The provider's usage probe returned nothing, failed or timed out: grants for it fall back to
   * local accounting until it answers again. Called once per episode, not on every poll.
   */
  default void probeUnavailable(String provider, String reason) {}

  /** The provider's usage probe answers again after {@link #probeUnavailable}. */
  default void probeRecovered(String provider) {}

  /**
   * A request of this process ended with a 429 (or one was reported): admission for the provider is
   * paused in every process until {@code pausedUntil}.
   */
  default void rateLimited(String provider, Instant pausedUntil) {}

  /** Nothing. */
  LimiterListener NONE = new LimiterListener() {};
}
