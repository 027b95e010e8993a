package dev.inflight.store;

/**
 * Decides whether a process registered on this host is still running. The store asks it only about
 * rows whose {@code host_id} equals the caller's; rows of other hosts expire by their heartbeat.
 */
@FunctionalInterface
public interface Liveness {
  boolean isAlive(long pid, String startToken);

  /** Reads {@code /proc} (or asks the JDK) for the real answer. */
  static Liveness system() {
    return ProcessIdentity::isAlive;
  }
}
