package dev.inflight.client;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * What the dispatcher has been asked to look at since it last woke: one bit per kind of cue, raised
 * by any thread and taken all at once by the dispatcher thread, which sleeps until one is raised or
 * a time passes.
 *
 * <p>Thread-safe: guarded by {@code lock}.
 */
final class Cues {
  /** Look at everything now: a request started, a local release, a death, shutting down. */
  static final int SIGNALED = 1;

  /** A commit was seen (the commit watch): maybe worth a read, when the hint rules say so. */
  static final int HINTED = 2;

  /** Set by {@link #await} only: it waited until the time it was given. */
  static final int TIMED_OUT = 4;

  /** A wake-up said that a request of this process was granted. */
  static final int GRANTED = 8;

  /** A request of this process was just queued: its deadline may be sooner than the sleep. */
  static final int ENQUEUED = 16;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition raised = lock.newCondition();
  private final LongSupplier nanos;
  private int pending; // guarded by lock

  Cues(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** Raises {@code cue} and wakes the dispatcher. */
  void raise(int cue) {
    raise(cue, true);
  }

  /**
   * Raises {@code cue}; wakes the dispatcher only if {@code wake} (the dispatcher thread itself
   * raises cues for its next turn without waking anyone).
   */
  void raise(int cue, boolean wake) {
    lock.lock();
    try {
      pending |= cue;
      if (wake) {
        raised.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Forgets {@code cue} if it was raised. */
  void clear(int cue) {
    lock.lock();
    try {
      pending &= ~cue;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sleeps until a cue is raised or {@code untilNanos} (monotonic; MAX_VALUE for no time), then
   * takes every raised cue, with {@link #TIMED_OUT} if it waited the whole time.
   */
  int await(long untilNanos) throws InterruptedException {
    lock.lock();
    try {
      int taken;
      if (pending == 0 && untilNanos == Long.MAX_VALUE) {
        while (pending == 0) {
          raised.await();
        }
        taken = pending;
      } else {
        long left = untilNanos == Long.MAX_VALUE ? 1 : untilNanos - nanos.getAsLong();
        while (pending == 0 && left > 0) {
          left = raised.awaitNanos(left);
        }
        taken = pending == 0 ? TIMED_OUT : pending;
      }
      pending = 0;
      return taken;
    } finally {
      lock.unlock();
    }
  }
}
