package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.sql.Connection;
import java.sql.Statement;

/**
 * The PostgreSQL hand-off figure of {@link PgFigures}: release here, grant in a waiting JVM woken
 * through LISTEN/NOTIFY, beside a bare NOTIFY reaching a LISTENing connection in the same worker
 * JVM, and the SQLite hand-off, in the same rounds.
 */
final class PgHandoff {
  private PgHandoff() {}

  /**
   * A (this JVM) holds the only slot, B (a worker) queues; A releases; B reports its grant: on
   * PostgreSQL and, in the same rounds, on SQLite. The floor, in the same rounds: this JVM runs a
   * bare {@code NOTIFY} and the PostgreSQL worker's bare LISTENing connection reports it.
   */
  static void handoff(Bench b, PgServer server, Limiter pg) throws Exception {
    progress("postgres handoff: release here -> grant in a waiting JVM, beside a bare NOTIFY");
    String provider = "pg_handoff";
    pg.limits().set(LimitSpec.of(provider, 1));
    b.limiter.limits().set(LimitSpec.of(provider, 1));
    int warm = 15;
    int n = 120;
    double[] pgMs = new double[n];
    double[] releaseMs = new double[n];
    double[] liteMs = new double[n];
    double[] floorMs = new double[n];
    try (Child pb =
            Child.start(
                "pg-handoff",
                b.home.toString(),
                server.url(PgFigures.BENCH_DB),
                provider,
                Integer.toString(server.port()),
                PgFigures.FLOOR_DB);
        Child sb = Child.start("handoff", b.home.toString(), provider);
        Connection notifier = server.connect(PgFigures.FLOOR_DB);
        Statement notify = notifier.createStatement()) {
      pb.expect("ready", 60);
      sb.expect("ready", 60);
      for (int i = 0; i < warm + n; i++) {
        double[] pgRound = null;
        double liteRound = 0;
        double floorRound = 0;
        for (int k = 0; k < 3; k++) {
          switch ((i + k) % 3) {
            case 0 -> pgRound = Handoff.limiterRound(pg, provider, pb);
            case 1 -> liteRound = Handoff.limiterRound(b.limiter, provider, sb)[0];
            default -> floorRound = notifyRound(notify, pb);
          }
        }
        if (i >= warm) {
          pgMs[i - warm] = pgRound[0];
          releaseMs[i - warm] = pgRound[1];
          liteMs[i - warm] = liteRound;
          floorMs[i - warm] = floorRound;
        }
      }
    }
    progress("  postgres handoff ms: %s", Report.spread(pgMs));
    progress(
        "  of which A's release() call itself: p50 %.3f p99 %.3f (the rest is B learning of it)",
        Stats.quantile(releaseMs, 0.5), Stats.quantile(releaseMs, 0.99));
    progress("  bare NOTIFY ms:      %s", Report.spread(floorMs));
    progress("  sqlite handoff ms:   %s", Report.spread(liteMs));
    for (double q : new double[] {0.5, 0.99}) {
      String p = q == 0.5 ? "p50" : "p99";
      Report.compared(
          "postgres_handoff_floor_" + p + "_ms",
          Stats.quantile(floorMs, q),
          "postgres_handoff_" + p + "_ms",
          Stats.quantile(pgMs, q),
          "ms",
          "postgres_handoff_" + p + "_ratio");
      emit("postgres_sqlite_handoff_" + p + "_ms", Stats.quantile(liteMs, q), "ms");
    }
  }

  /** The floor's hand-off ms: a bare NOTIFY here (autocommit) to its delivery in the worker. */
  private static double notifyRound(Statement notify, Child waiter) throws Exception {
    waiter.send("listen");
    waiter.expect("listening", 10);
    Handoff.letWaiterIdle();
    long t0 = System.nanoTime();
    notify.execute("NOTIFY bench");
    long t1 = waiter.expectLong("notified", 10);
    return (t1 - t0) / 1e6;
  }
}
