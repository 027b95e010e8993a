package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A held slot of a provider. Close it exactly when the request ends (for streams: when the stream
 * ends). Closing is idempotent: the first close releases, later ones do nothing. Thread-safe.
 */
public interface Lease extends AutoCloseable {

  /**
   * The lease id other tools show (and {@code inflight release} takes). 0 for an unrecorded lease.
   */
  long id();

  String provider();

  String label();

  Instant acquiredAt();

  /** How long the request waited in the queue before it was granted. */
  Duration waited();

  /**
   * Gives the slot back.
   *
   * @return how it ended: released, cooling, already released, lost, or never recorded
   * @throws LimiterException when the database cannot be written; the release is retried in the
   *     background and the slot is reclaimed when this process ends in any case
   */
  ReleaseResult release();

  /** {@link #release()}, ignoring the result and never throwing a store failure (it is logged). */
  @Override
  void close();
}
