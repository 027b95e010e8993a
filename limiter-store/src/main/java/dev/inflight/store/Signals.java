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
  CommitWatch onCommit(Runnable onCommit);

  /**
   * {@link #onCommit(Runnable)} for a subscriber that cares about some providers only: {@code
   * onCommit} is given the providers the commits changed, or null when the engine cannot tell
   * (SQLite's commit watch; the first call; a resume; a reconnect): then any of them may have.
   */
  default CommitWatch onCommitOf(java.util.function.Consumer<java.util.Set<String>> onCommit) {
    return onCommit(() -> onCommit.accept(null));
  }

  /** One subscription to commits. */
  interface CommitWatch extends AutoCloseable {
    /**
     * Stops reporting commits to this subscriber until {@link #resume}. While every subscriber is
     * paused the engine may stop watching altogether, so that a flood of other processes' commits
     * costs this process nothing.
     */
    void pause();

    /**
     * Reports commits again, and calls the subscriber once at once: commits made while it was
     * paused are not reported one by one.
     */
    void resume();

    @Override
    void close();
  }

  /** Whether commits are being watched now; when not, waiters must re-read often. */
  boolean commitsWatched();

  /**
   * Calls {@code onWake} (on an engine thread, or on the thread whose transaction granted; keep it
   * short) when a transaction, in this process or another one, granted a lease to a queued request
   * of a process registered through this engine. Unlike {@link #onCommit}, it is not called for
   * commits that granted this process nothing. The list names the grants when the waker said which
   * (a grant named is committed); it may be empty, or miss some: then read {@link
   * LeaseEngine#granted} to learn what is held.
   */
  AutoCloseable onWake(java.util.function.Consumer<java.util.List<Rows.Grant>> onWake);

  /**
   * Whether other processes can wake this one directly ({@link #onWake}); when not, commits are its
   * only prompt signal of a grant.
   */
  boolean wakeable();

  /**
   * A number that moves once a commit by another connection is visible to this engine's reads. A
   * commit signal can arrive before the commit is visible: a waiter that sees this number unchanged
   * looks again shortly instead of concluding that nothing changed.
   */
  long commitCount();

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
