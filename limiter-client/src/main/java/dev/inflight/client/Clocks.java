package dev.inflight.client;

import java.time.InstantSource;
import java.util.function.LongSupplier;

/**
 * The limiter's two clocks. The wall clock stamps what goes into the database (other processes
 * compare those times); the monotonic ticker measures every duration this process waits or holds
 * (timeouts, "waited", "held for"), so that a wall-clock step never cuts a wait short or makes it
 * last for ever.
 *
 * @param wall milliseconds since the epoch, for timestamps shared with other processes
 * @param ticker nanoseconds from an arbitrary origin, for durations ({@link System#nanoTime()})
 */
record Clocks(InstantSource wall, LongSupplier ticker) {

  static Clocks system() {
    return new Clocks(InstantSource.system(), System::nanoTime);
  }

  long nanos() {
    return ticker.getAsLong();
  }

  /** {@code from + nanos}, or {@link Long#MAX_VALUE} ("never") when that would overflow. */
  static long plusNanos(long from, long nanos) {
    long r = from + nanos;
    return ((from ^ r) & (nanos ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
