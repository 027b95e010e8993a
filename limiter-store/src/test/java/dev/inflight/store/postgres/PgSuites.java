package dev.inflight.store.postgres;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.testing.Child;
import dev.inflight.testing.MutableClock;
import dev.inflight.testing.PgCluster;

/**
 * How the PostgreSQL runs of the conformance suites open the engine (a fresh database on this JVM's
 * private server) and edit by hand (the real {@code psql}).
 */
final class PgSuites {
  private PgSuites() {}

  static LeaseEngine open(String url, MutableClock clock, Liveness liveness, String hostId) {
    return Engines.open(
        EngineConfig.ofUrl(url).withClock(clock).withLiveness(liveness).withHostId(hostId));
  }

  /** {@code sql} through {@code psql}: null when applied, else what it printed. */
  static String handEdit(String url, String sql) {
    String database = url.substring(url.lastIndexOf('/') + 1);
    Child.Result r = PgCluster.shared().psql(database, sql);
    return r.code() == 0 ? null : r.err();
  }
}
