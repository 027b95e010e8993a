package dev.inflight.store;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * How to open an engine.
 *
 * @param file the database file (SQLite)
 * @param busyTimeout how long one transaction waits for another process's write lock
 * @param hostId this host's id: only processes with the same id are checked with {@code liveness}
 * @param liveness decides whether a process of this host still runs
 * @param clock the wall clock every timestamp written is read from, once per transaction
 */
public record EngineConfig(
    Path file, Duration busyTimeout, String hostId, Liveness liveness, InstantSource clock) {

  /** Default time a transaction waits for another process's write lock. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  public EngineConfig {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(busyTimeout, "busyTimeout");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(liveness, "liveness");
    Objects.requireNonNull(clock, "clock");
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

  public EngineConfig withClock(InstantSource clock) {
    return new EngineConfig(file, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withLiveness(Liveness liveness) {
    return new EngineConfig(file, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withBusyTimeout(Duration busyTimeout) {
    return new EngineConfig(file, busyTimeout, hostId, liveness, clock);
  }

  public EngineConfig withHostId(String hostId) {
    return new EngineConfig(file, busyTimeout, hostId, liveness, clock);
  }
}
