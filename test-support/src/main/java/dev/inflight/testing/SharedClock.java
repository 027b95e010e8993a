package dev.inflight.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.function.LongSupplier;

/**
 * A test clock that several processes share: the time is a long in a small file that every process
 * maps into memory, and only the test moves it. Injected into each process's limiter as its wall
 * clock and its ticker, it lets a test prove what happens across processes over minutes of budget
 * windows without any process sleeping. The ticker moves with the wall clock.
 */
public final class SharedClock implements InstantSource, LongSupplier, AutoCloseable {
  private final FileChannel channel;
  private final MappedByteBuffer map;

  private SharedClock(Path file, boolean create, Instant start) {
    try {
      channel =
          create
              ? FileChannel.open(
                  file,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE)
              : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      map = channel.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (create) {
      map.putLong(0, start.toEpochMilli());
    }
  }

  /** Creates the clock's file, at {@code start}. */
  public static SharedClock create(Path file, Instant start) {
    return new SharedClock(file, true, start);
  }

  /** Opens a clock another process created. */
  public static SharedClock open(Path file) {
    return new SharedClock(file, false, null);
  }

  /** Time passes for every process at once. */
  public synchronized void advance(Duration d) {
    map.putLong(0, map.getLong(0) + d.toMillis());
  }

  @Override
  public long millis() {
    return map.getLong(0);
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  /** The ticker: the same time, in nanoseconds. */
  @Override
  public long getAsLong() {
    return millis() * 1_000_000L;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // the mapping stays valid; nothing to flush
    }
  }
}
