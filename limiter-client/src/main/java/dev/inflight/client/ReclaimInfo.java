package dev.inflight.client;

import java.util.List;

/**
 * A process whose leases and waiters were taken back.
 *
 * @param leases the leases it held (each freed, or cooling when the provider has a cooldown)
 * @param waiters how many of its requests left their queues
 */
public record ReclaimInfo(
    long pid, String host, String processName, List<LeaseInfo> leases, int waiters) {
  public ReclaimInfo {
    leases = List.copyOf(leases);
  }

  /** Why a process's leases were reclaimed. */
  public enum Reason {
    /** It no longer runs on this host (or its pid belongs to a newer process). */
    PROCESS_DEAD,
    /** It stopped heart-beating (another host, or a stopped process) and its row expired. */
    HEARTBEAT_EXPIRED,
    /** The rows named a process that is not registered. */
    ORPHANED,
    /**
     * A row broke a rule of the schema (a foreign client's bug, a bad hand edit) and was removed so
     * that it could not block the provider.
     */
    INVALID,
    /** This process's own leases: it was reclaimed by others (see the log for why). */
    THIS_PROCESS
  }
}
