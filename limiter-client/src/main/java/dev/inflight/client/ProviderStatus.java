package dev.inflight.client;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * One provider at one instant (a snapshot; stale as soon as it is returned).
 *
 * @param limit empty when the provider has no limit
 * @param active leases held now
 * @param cooling released leases whose cooldown has not ended (they still count)
 * @param queued requests waiting
 * @param longestWait how long the oldest waiting request has waited (zero when none)
 */
public record ProviderStatus(
    String provider,
    OptionalInt limit,
    Duration cooldown,
    boolean paused,
    int active,
    int cooling,
    int queued,
    Duration longestWait) {

  /** Slots a new request could take now, or {@link Integer#MAX_VALUE} when unlimited. */
  public int free() {
    if (paused) {
      return 0;
    }
    return limit.isEmpty() ? Integer.MAX_VALUE : Math.max(0, limit.getAsInt() - active - cooling);
  }
}
