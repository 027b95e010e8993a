package dev.inflight.store.postgres;

import dev.inflight.store.EngineConformance;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.testing.PgCluster;

/** The engine conformance suite, unchanged, on a real PostgreSQL server; hand edits with psql. */
class PostgresConformanceTest extends EngineConformance {
  private String url;

  @Override
  protected LeaseEngine open(Liveness liveness, String hostId) {
    if (url == null) {
      url = PgCluster.shared().newDatabase();
    }
    return PgSuites.open(url, clock, liveness, hostId);
  }

  @Override
  protected String handEdit(String sql) {
    return PgSuites.handEdit(url, sql);
  }
}
