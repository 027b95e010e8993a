package dev.inflight.client;

import java.time.Instant;
import java.util.List;

/**
 * Everything held and queued at instant {@code at}, by every process: a point-in-time snapshot.
 * Providers with a limit always appear; others only while they have leases or waiters.
 */
public record StatusSnapshot(
    Instant at, List<ProviderStatus> providers, List<LeaseInfo> leases, List<WaiterInfo> waiters) {
  public StatusSnapshot {
    providers = List.copyOf(providers);
    leases = List.copyOf(leases);
    waiters = List.copyOf(waiters);
  }
}
