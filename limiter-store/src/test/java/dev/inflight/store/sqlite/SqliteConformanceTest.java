package dev.inflight.store.sqlite;

import dev.inflight.store.EngineConformance;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The engine conformance suite on SQLite; hand edits go through the real {@code sqlite3}. */
class SqliteConformanceTest extends EngineConformance {
  @TempDir Path dir;

  @Override
  protected LeaseEngine open(Liveness liveness, String hostId) {
    return SqliteSuites.open(dir, clock, liveness, hostId);
  }

  @Override
  protected String handEdit(String sql) {
    return SqliteSuites.handEdit(dir, sql);
  }
}
