package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A queued request (a snapshot).
 *
 * @param position 1 for the head of the provider's queue, in serving order (class, then arrival)
 * @param priority the class it asked for (it may have risen since, by aging)
 */
public record WaiterInfo(
    String provider,
    int position,
    long pid,
    String host,
    String processName,
    String label,
    Instant queuedAt,
    Duration waiting,
    String model,
    int weight,
    long tokens,
    Priority priority) {
  /** A request for the provider as a whole, of weight 1 and normal priority. */
  public WaiterInfo(
      String provider,
      int position,
      long pid,
      String host,
      String processName,
      String label,
      Instant queuedAt,
      Duration waiting) {
    this(
        provider,
        position,
        pid,
        host,
        processName,
        label,
        queuedAt,
        waiting,
        "",
        1,
        0,
        Priority.NORMAL);
  }

  /** {@code provider} or {@code provider/model}. */
  public String key() {
    return model.isEmpty() ? provider : provider + "/" + model;
  }
}
