package dev.inflight.testing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that other threads or processes make true. Not a way to let time pass: the
 * 30 s limit only turns a hang into a failure, and no test asserts how long it waited.
 */
public final class Eventually {
  private Eventually() {}

  public static void until(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end >= 0) {
        throw new AssertionError("still not true after 30 s");
      }
      LockSupport.parkNanos(1_000_000L);
    }
  }
}
