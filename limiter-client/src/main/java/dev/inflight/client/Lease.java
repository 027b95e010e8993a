package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

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
   * Gives the slot back after a request that {@link Outcome#SUCCEEDED}.
   *
   * @return how it ended: released, cooling, already released, lost, or never recorded
   * @throws LimiterException when the database cannot be written; the release is retried in the
   *     background and the slot is reclaimed when this process ends in any case
   */
  ReleaseResult release();

  /**
   * Gives the slot back, saying how the request ended. {@link Outcome#RATE_LIMITED} pauses the
   * provider for every process for the limiter's default Retry-After (see {@link
   * #releaseRateLimited}).
   *
   * @throws LimiterException as {@link #release()}
   */
  ReleaseResult release(Outcome outcome);

  /**
   * {@link #release(Outcome)}, reporting the tokens the request really used (input plus output,
   * from the provider's usage): they replace what its grant reserved in every token budget's
   * window, so that a request that used less frees the rest for others at once.
   *
   * @throws IllegalArgumentException when {@code usedTokens} is negative or above 100000000
   */
  ReleaseResult release(Outcome outcome, long usedTokens);

  /** The model this lease was taken for ("" for the provider as a whole). */
  String model();

  /** The units this lease takes at each level it counts against. */
  int weight();

  /**
   * Gives the slot back after the provider answered 429: admission for the provider pauses in every
   * process until {@code retryAfter} from now (the limiter's default when null), and an adaptive
   * limit steps down.
   *
   * @param retryAfter the provider's Retry-After, from 0 to 24 hours; null for the default
   * @throws IllegalArgumentException when {@code retryAfter} is negative or too long (nothing is
   *     released then)
   * @throws LimiterException as {@link #release()}
   */
  ReleaseResult releaseRateLimited(Duration retryAfter);

  /**
   * {@link #releaseRateLimited(Duration)}, reporting the tokens the request really used (a 429
   * usually used none): they replace its reservation in every token budget's window.
   *
   * @throws IllegalArgumentException when {@code usedTokens} is negative or above 100000000
   */
  ReleaseResult releaseRateLimited(Duration retryAfter, long usedTokens);

  /**
   * {@link #release()} (a success, unless {@link #release(Outcome)} came first), ignoring the
   * result and never throwing a store failure (it is logged).
   */
  @Override
  void close();

  /**
   * What to add to a child process's environment so that its own requests for this provider join
   * this lease instead of queueing behind it (nested leases: at limit 1 a child that takes its own
   * lease would otherwise wait for ever). {@code INFLIGHT_LEASE_TOKEN} is the lease's secret token:
   * give it only to processes you start, which then also could release it. {@code inflight run}
   * passes it to COMMAND. A child joins only while this lease is held, for this provider (and, for
   * a lease of one model, that model: {@code INFLIGHT_MODEL}, unset for the provider as a whole),
   * and only if it descends from this process; empty for a lease that was never recorded.
   */
  Map<String, String> childEnvironment();

  /** The variables of {@link #childEnvironment()} for a lease. */
  static Map<String, String> childEnvironment(
      String token, String provider, String model, long id) {
    if (token == null) {
      return Map.of();
    }
    if (model.isEmpty()) {
      return Map.of(
          "INFLIGHT_LEASE_TOKEN",
          token,
          "INFLIGHT_PROVIDER",
          provider,
          "INFLIGHT_LEASE_ID",
          "" + id);
    }
    return Map.of(
        "INFLIGHT_LEASE_TOKEN",
        token,
        "INFLIGHT_PROVIDER",
        provider,
        "INFLIGHT_MODEL",
        model,
        "INFLIGHT_LEASE_ID",
        Long.toString(id));
  }
}
