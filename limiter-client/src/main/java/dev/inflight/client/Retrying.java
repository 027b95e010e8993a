package dev.inflight.client;

import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Runs short writes again while the database is only busy (another process held its write lock past
 * the busy timeout: a holder descheduled on a loaded machine, a hand edit left open), until the
 * caller's deadline. A transaction that failed as busy was rolled back whole, so running it again
 * is safe. Calls without a deadline of their own retry for one more busy timeout.
 */
final class Retrying {
  private final Clocks clocks;
  private final long briefNanos;

  Retrying(Clocks clocks, Duration busyTimeout) {
    this.clocks = clocks;
    this.briefNanos = busyTimeout.toNanos();
  }

  /** {@link #until} a deadline one busy timeout from now. */
  <T> T briefly(String what, Supplier<T> call) {
    return until(what, call, Clocks.plusNanos(clocks.nanos(), briefNanos));
  }

  /**
   * Calls {@code call} until it succeeds, fails in a way that retrying cannot fix, or the deadline
   * (by the monotonic ticker; {@link Long#MAX_VALUE} for none) has passed.
   *
   * @throws StoreException the last failure
   */
  <T> T until(String what, Supplier<T> call, long deadlineNanos) {
    long backoffNanos = 1_000_000L;
    boolean told = false;
    while (true) {
      try {
        return call.get();
      } catch (StoreException e) {
        if (!e.retryable() || passed(deadlineNanos)) {
          throw e;
        }
        if (!told) {
          told = true;
          Events.LOG.log(
              Level.INFO,
              () -> "the database is busy; trying again to " + what + ": " + e.getMessage());
        }
        LockSupport.parkNanos(backoffNanos);
        backoffNanos = Math.min(backoffNanos * 2, 50_000_000L);
      }
    }
  }

  private boolean passed(long deadlineNanos) {
    return deadlineNanos != Long.MAX_VALUE && clocks.nanos() - deadlineNanos >= 0;
  }
}
