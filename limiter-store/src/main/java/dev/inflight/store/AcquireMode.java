package dev.inflight.store;

/** What an acquisition does when no slot is free for it now. */
public enum AcquireMode {
  /** Report busy and write nothing (a try that never waits). */
  TRY,
  /** Join the provider's queue (a waiting or asynchronous acquire, or a request queued again). */
  QUEUE
}
