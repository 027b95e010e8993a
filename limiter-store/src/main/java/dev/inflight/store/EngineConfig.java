package dev.inflight.store;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * How to open an engine: an SQLite file, or a PostgreSQL URL.
 *
 * @param file the database file (SQLite); null when {@code url} names a PostgreSQL database
 * @param url a PostgreSQL database ({@code postgresql://host:5432/db}); null for SQLite
 * @param busyTimeout how long one transaction waits for another process's write lock
 * @param hostId this host's id: only processes with the same id are checked with {@code liveness}
 * @param liveness decides whether a process of this host still runs
 * @param clock the wall clock every timestamp written is read from, once per transaction (on
 *     PostgreSQL, the system clock means the server's: every machine then agrees on the time)
 */
public record EngineConfig(
    Path file,
    String url,
    Duration busyTimeout,
    String hostId,
    Liveness liveness,
    InstantSource clock) {

  /** Default time a transaction waits for another process's write lock. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  public EngineConfig {
    if ((file == null) == (url == null)) {
      throw new IllegalArgumentException("exactly one of file and url names the database");
    }
    Objects.requireNonNull(busyTimeout, "busyTimeout");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(liveness, "liveness");
    Objects.requireNonNull(clock, "clock");
  }

  /** An SQLite file. */
  public EngineConfig(
      Path file, Duration busyTimeout, String hostId, Liveness liveness, InstantSource clock) {
    this(Objects.requireNonNull(file, "file"), null, busyTimeout, hostId, liveness, clock);
  }

  /** This machine's host id, real liveness checks, the system clock, the default busy timeout. */
  public static EngineConfig of(Path file) {
    return new EngineConfig(
        file,
        DEFAULT_BUSY_TIMEOUT,
        ProcessIdentity.currentHostId(),
        Liveness.system(),
        InstantSource.system());
  }

  /** {@link #of(Path)} for a PostgreSQL database. */
  public static EngineConfig ofUrl(String url) {
    return new EngineConfig(
        null,
        Objects.requireNonNull(url, "url"),
        DEFAULT_BUSY_TIMEOUT,
        ProcessIdentity.currentHostId(),
        Liveness.system(),
        InstantSource.system());
  }

  /** Whether the clock is the system's (not one a test injected). */
  public boolean systemClock() {
    return clock.equals(InstantSource.system());
  }

  public EngineConfig withClock(InstantSource clock) {
    return new EngineConfig(file, url, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withLiveness(Liveness liveness) {
    return new EngineConfig(file, url, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withBusyTimeout(Duration busyTimeout) {
    return new EngineConfig(file, url, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withHostId(String hostId) {
    return new EngineConfig(file, url, busyTimeout, hostId, liveness, clock);
  }
}
