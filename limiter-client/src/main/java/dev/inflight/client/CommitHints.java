package dev.inflight.client;

import java.util.function.LongSupplier;

/**
 * Decides when a commit seen by the engine's commit watch is worth reading the queue for. Grants
 * made by clients that wake their waiters directly arrive as wake-ups; a commit hint stands for
 * everything else: a hand edit with sqlite3, a client that cannot wake others, a change of timing.
 * Two rules keep it both prompt and cheap:
 *
 * <ul>
 *   <li><b>Confirm.</b> The watch fires when a writer writes, which can be before its commit is
 *       visible. A hint whose commit is not visible yet ({@code commitCount} unchanged since the
 *       last read) is looked at again after 1, 1, 2, 4 … 256 ms, instead of being dropped.
 *   <li><b>Back off.</b> When this process can be woken directly and reads (prompted by anything)
 *       keep finding nothing to write for, more than {@value #UNBACKED_READS} in a row after a
 *       quiet moment (or one after a read that had to settle), the next read prompted by a commit
 *       waits a little longer (1 ms doubling to 100 ms); a read that had to settle, or 250 ms
 *       without a read, resets the gap. Under heavy traffic of other processes' commits a waiter so
 *       reads at most 10 times a second on their account, while a hand edit after a few unrelated
 *       commits (a limit set back, a request queued) is read at once.
 * </ul>
 *
 * <p>Used by the dispatcher thread only; times are monotonic nanoseconds.
 */
final class CommitHints {
  private static final long[] CONFIRM_AFTER_MS = {1, 1, 2, 4, 8, 16, 32, 64, 128, 256};
  static final long MAX_GAP_NANOS = 100_000_000L;
  private static final long QUIET_NANOS = 250_000_000L;

  /** Reads in a row that wrote nothing before the back-off begins. */
  static final int UNBACKED_READS = 4;

  private static final long UNKNOWN = Long.MIN_VALUE;

  private final LongSupplier commitCount;
  private boolean pending;
  private long dueNanos;
  private int tries;
  private long seenCount = UNKNOWN;
  private long gapNanos;
  private long lastReadNanos;
  private int uselessReads; // in a row, each within QUIET_NANOS of the one before

  CommitHints(LongSupplier commitCount) {
    this.commitCount = commitCount;
  }

  /** A commit was seen at {@code now}. */
  void seen(long now) {
    tries = 0;
    long earliest = lastReadNanos + gapNanos;
    long at = gapNanos == 0 || now - earliest >= 0 ? now : earliest;
    if (!pending || at - dueNanos < 0) {
      dueNanos = at;
    }
    pending = true;
  }

  /**
   * Commits were reported again after a pause: look once whether any became visible meanwhile, and
   * drop the hint at once if none did (there is no event to confirm).
   */
  void resumed(long now) {
    pending = true;
    dueNanos = now;
    tries = CONFIRM_AFTER_MS.length;
  }

  /** When a pending hint is next looked at; MAX_VALUE when none is pending. */
  long dueNanos() {
    return pending ? dueNanos : Long.MAX_VALUE;
  }

  /**
   * Whether the pending hint is worth a read of the queue now. When its commit is not visible yet,
   * or the back-off gap is still running, it stays pending with a later due time.
   */
  boolean due(long now) {
    if (!pending || now - dueNanos < 0) {
      return false;
    }
    long count = commitCount.getAsLong();
    if (count != -1 && count == seenCount) {
      if (tries < CONFIRM_AFTER_MS.length) {
        dueNanos = now + CONFIRM_AFTER_MS[tries++] * 1_000_000L;
      } else {
        clear(); // nothing became visible: the event was not a commit (a checkpoint, say)
      }
      return false;
    }
    long earliest = lastReadNanos + gapNanos;
    if (gapNanos > 0 && now - earliest < 0) {
      dueNanos = earliest;
      return false;
    }
    clear();
    seenCount = count == -1 ? UNKNOWN : count;
    return true;
  }

  /**
   * A full read or a glance begins: what it sees is no longer news. (Reading only the grants does
   * not read the count: each read is a reader that a checkpoint must wait for.)
   */
  void passing() {
    seenCount = commitCount.getAsLong();
    if (seenCount == -1) {
      seenCount = UNKNOWN;
    }
  }

  /**
   * A read of the queue (prompted by anything) ended at {@code now}.
   *
   * @param useful whether it granted or settled something
   * @param coveredHints whether it read everything (a full pass or a glance), so that a pending
   *     hint is answered; reading only the grants answers none
   * @param wakeable whether other processes can wake this one directly (if not, hints are its only
   *     prompt and are never backed off)
   */
  void passed(long now, boolean useful, boolean wakeable, boolean coveredHints) {
    if (coveredHints) {
      clear(); // a full read covered what had been committed when it began
    }
    if (useful || !wakeable) {
      gapNanos = 0;
      // Traffic that also brings grants is still traffic: the next useless read backs off.
      uselessReads = UNBACKED_READS;
    } else if (now - lastReadNanos > QUIET_NANOS) {
      gapNanos = 0; // a read now and then (a heartbeat's commit) is no traffic to back off from
      uselessReads = 1;
    } else if (++uselessReads > UNBACKED_READS) {
      gapNanos = Math.min(MAX_GAP_NANOS, Math.max(1_000_000L, gapNanos * 2));
    }
    lastReadNanos = now;
  }

  /**
   * Whether reads prompted by commits are backing off at {@code now}: commits need not even be
   * reported until {@link #backOffEndsNanos}.
   */
  boolean backingOff(long now) {
    return gapNanos > 0 && now - (lastReadNanos + gapNanos) < 0;
  }

  /** When the current back-off gap ends. */
  long backOffEndsNanos() {
    return lastReadNanos + gapNanos;
  }

  /** Nothing waits: forget the pending hint. */
  void clear() {
    pending = false;
    tries = 0;
  }
}
