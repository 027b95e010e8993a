package dev.inflight.client;

/** What acquiring does when the shared database cannot be read or written. */
public enum FailurePolicy {
  /** Throw {@link LimiterException}: no request goes out uncounted (the default). */
  FAIL_CLOSED,
  /**
   * Log a warning and hand out an unrecorded lease, so requests go on without the limit while the
   * database is broken.
   */
  FAIL_OPEN
}
