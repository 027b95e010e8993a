package dev.inflight.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A wall clock and a monotonic ticker that tests move by hand, so that no test sleeps for time to
 * pass. {@link #advance} moves both, as real time does; {@link #stepWall} moves only the wall
 * clock, as an NTP step, a suspend or a wrong {@code date} does.
 */
public final class MutableClock implements InstantSource, LongSupplier {
  private final AtomicLong millis;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  public MutableClock(Instant start) {
    this.millis = new AtomicLong(start.toEpochMilli());
  }

  public MutableClock() {
    this(Instant.parse("2026-11-22T12:00:00Z"));
  }

  /** Time passes: both clocks move. */
  public void advance(Duration d) {
    millis.addAndGet(d.toMillis());
    nanos.addAndGet(d.toNanos());
  }

  /** The wall clock jumps (forwards or backwards); the monotonic ticker does not move. */
  public void stepWall(Duration d) {
    millis.addAndGet(d.toMillis());
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public long millis() {
    return millis.get();
  }

  /** The monotonic ticker, in nanoseconds. */
  @Override
  public long getAsLong() {
    return nanos.get();
  }
}
