package dev.inflight.store;

/**
 * How an engine tells waiters that something changed, without polling: commits by any process
 * (including hand edits), and the end of another process that a waiter depends on. A missed signal
 * costs latency, never correctness: waiters also re-read on a slow timer.
 */
public interface Signals {

  /**
   * Calls {@code onCommit} (on an engine thread; keep it short) after commits by any process. The
   * engine starts watching on the first subscription. Close the handle to unsubscribe.
   */
  AutoCloseable onCommit(Runnable onCommit);

  /** Whether commits are being watched now; when not, waiters must re-read often. */
  boolean commitsWatched();

  /**
   * Watches a process on this host that a waiter depends on; calls {@code onGone} once when it ends
   * (or stops proving that it is alive). The call is a hint: who is dead is then decided by a
   * settle.
   */
  OwnerWatch watch(Rows.WatchTarget owner, Runnable onGone);

  /** A watch on one owner. */
  interface OwnerWatch extends AutoCloseable {
    /** The owner was seen proving liveness, and its end will be noticed at once. */
    boolean armed();

    /** The owner stopped proving liveness: the watch is spent. */
    boolean fired();

    @Override
    void close();
  }
}
