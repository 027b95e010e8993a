package dev.inflight.store.sqlite;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitModelConformance;
import dev.inflight.store.Liveness;
import dev.inflight.testing.Child;
import dev.inflight.testing.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The limit-model conformance suite on SQLite; hand edits go through the real {@code sqlite3}. */
class SqliteLimitModelConformanceTest extends LimitModelConformance {
  @TempDir Path dir;

  @Override
  protected LeaseEngine open(Liveness liveness, String hostId) {
    return Engines.open(
        EngineConfig.of(dir.resolve("limiter.db"))
            .withClock(clock)
            .withLiveness(liveness)
            .withHostId(hostId));
  }

  @Override
  protected String handEdit(String sql) {
    Child.Result r = Tools.sqlite3(dir.resolve("limiter.db"), sql);
    return r.code() == 0 ? null : r.err();
  }
}
