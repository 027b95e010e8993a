package dev.inflight.store;

import java.util.Objects;

/**
 * One acquisition attempt.
 *
 * @param ownerId the registered process that will hold the lease (or wait)
 * @param pid its OS process id, copied into the row for display
 * @param token the request's secret: it becomes the lease's token when granted
 * @param model the model it calls ("" for the provider as a whole): it counts against that model's
 *     level too, when the model has one
 * @param weight the units it takes at every level it counts against (1 to 10000)
 * @param tokens the tokens it expects to use (input plus maximum output), reserved in every token
 *     budget it counts against; -1 for its levels' default
 * @param priority its class in the queue
 */
public record AcquireRequest(
    long ownerId,
    long pid,
    String provider,
    String label,
    String token,
    AcquireMode mode,
    String model,
    int weight,
    long tokens,
    Priority priority) {
  /** The most units one request may take. */
  public static final int MAX_WEIGHT = 10_000;

  /** The most tokens one request may expect. */
  public static final long MAX_TOKENS = 100_000_000;

  public AcquireRequest {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(priority, "priority");
    if (weight < 1 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be between 1 and " + MAX_WEIGHT + " (was " + weight + ")");
    }
    if (tokens < -1 || tokens > MAX_TOKENS) {
      throw new IllegalArgumentException(
          "tokens must be between 0 and "
              + MAX_TOKENS
              + ", or -1 for the default (was "
              + tokens
              + ")");
    }
  }

  /** A request for the provider as a whole: weight 1, default tokens, normal priority. */
  public AcquireRequest(
      long ownerId, long pid, String provider, String label, String token, AcquireMode mode) {
    this(ownerId, pid, provider, label, token, mode, "", 1, -1, Priority.NORMAL);
  }

  /** This request in another mode (a try that found no room, queued again). */
  public AcquireRequest withMode(AcquireMode m) {
    return new AcquireRequest(
        ownerId, pid, provider, label, token, m, model, weight, tokens, priority);
  }
}
