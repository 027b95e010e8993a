package dev.inflight.store;

/** Why a process's rows were taken back. */
public enum ReclaimReason {
  /** The process no longer runs on this host (or its pid now belongs to another process). */
  PROCESS_DEAD,
  /** It could not be checked (another host, or no liveness lock) and its heartbeat expired. */
  HEARTBEAT_EXPIRED,
  /** A row pointed at a process that is not registered. */
  ORPHANED,
  /** A row the promote step could not turn into a lease (it broke a rule of the schema). */
  INVALID
}
