package dev.inflight.store.sqlite;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.testing.Child;
import dev.inflight.testing.MutableClock;
import dev.inflight.testing.Tools;
import java.nio.file.Path;

/** How the SQLite runs of the conformance suites open the engine and edit by hand. */
final class SqliteSuites {
  private SqliteSuites() {}

  static LeaseEngine open(Path dir, MutableClock clock, Liveness liveness, String hostId) {
    return Engines.open(
        EngineConfig.of(dir.resolve("limiter.db"))
            .withClock(clock)
            .withLiveness(liveness)
            .withHostId(hostId));
  }

  /** {@code sql} through the real {@code sqlite3}: null when applied, else what it printed. */
  static String handEdit(Path dir, String sql) {
    Child.Result r = Tools.sqlite3(dir.resolve("limiter.db"), sql);
    return r.code() == 0 ? null : r.err();
  }
}
