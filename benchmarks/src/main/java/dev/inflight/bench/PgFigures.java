package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;
import static dev.inflight.bench.Report.round;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The PostgreSQL engine's figures ({@code postgres}), on a private server the harness starts in its
 * scratch directory ({@link PgServer}) and stops at the end. Every figure is measured beside its
 * floor in the same run:
 *
 * <ul>
 *   <li>the uncontended cycle (tryAcquire+release in this JVM), beside the bare transactions of
 *       {@link PgFloor} on the same server and the same cycle on SQLite;
 *   <li>parallel providers: {@link #PROCS} worker JVMs cycling as fast as they can, each on a
 *       provider of its own, beside the same JVMs all on one provider whose limit leaves room for
 *       every one (nothing waits for a slot, only for the provider's lock); the same pair through
 *       the bare floor, and through SQLite (whose one write lock serialises both); the PostgreSQL
 *       pairs again at {@code synchronous_commit=on}, PostgreSQL's default;
 *   <li>the hand-off ({@link PgHandoff}).
 * </ul>
 */
final class PgFigures {
  /** Worker JVMs of the parallel figure. */
  static final int PROCS = 4;

  static final String BENCH_DB = "bench";
  static final String FLOOR_DB = "floor";

  private PgFigures() {}

  static void postgres(Bench b) throws Exception {
    progress("postgres: starting a private PostgreSQL server in %s", b.work.resolve("pg"));
    try (PgServer server = PgServer.start(b.work)) {
      server.createDatabase(BENCH_DB);
      server.createDatabase(FLOOR_DB);
      progress("  server on 127.0.0.1:%d, databases %s and %s", server.port(), BENCH_DB, FLOOR_DB);
      // The floor's database gets the library's schema: a limiter opened on it and closed.
      Limiter.builder().home(b.home).database(server.url(FLOOR_DB)).build().close();
      try (Limiter pg = Limiter.builder().home(b.home).database(server.url(BENCH_DB)).build()) {
        cycle(b, server, pg);
        parallel(b, server, pg);
        PgHandoff.handoff(b, server, pg);
      }
    }
  }

  // ---------------------------------------------------------------- the cycle

  /**
   * tryAcquire+release on PostgreSQL, on SQLite and through the bare floor, batches interleaved.
   */
  private static void cycle(Bench b, PgServer server, Limiter pg) throws Exception {
    progress("postgres cycle: acquire+release on PostgreSQL vs the bare transactions vs SQLite");
    String provider = "pg_cycle";
    pg.limits().set(LimitSpec.of(provider, 4));
    b.limiter.limits().set(LimitSpec.of(provider, 4));
    int rounds = 9;
    int batch = 150;
    double[] pgUs = new double[rounds];
    double[] liteUs = new double[rounds];
    double[] floorUs = new double[rounds];
    try (PgFloor floor = new PgFloor(server.port(), FLOOR_DB)) {
      batchMicros(pg, provider, 600);
      batchMicros(b.limiter, provider, 600);
      floorBatchMicros(floor, provider, 600);
      for (int r = 0; r < rounds; r++) {
        // Each goes first in turn, so that none always follows another's noise.
        for (int k = 0; k < 3; k++) {
          switch ((r + k) % 3) {
            case 0 -> pgUs[r] = batchMicros(pg, provider, batch);
            case 1 -> liteUs[r] = batchMicros(b.limiter, provider, batch);
            default -> floorUs[r] = floorBatchMicros(floor, provider, batch);
          }
        }
      }
    }
    progress("  postgres batches us: %s", Arrays.toString(round(pgUs)));
    progress("  floor batches us:    %s", Arrays.toString(round(floorUs)));
    progress("  sqlite batches us:   %s", Arrays.toString(round(liteUs)));
    double c = Stats.median(pgUs);
    double s = Stats.median(liteUs);
    Report.compared(
        "postgres_floor_cycle_us",
        Stats.median(floorUs),
        "postgres_cycle_us",
        c,
        "us",
        "postgres_cycle_ratio");
    emit("postgres_sqlite_cycle_us", s, "us");
    emit("postgres_vs_sqlite_cycle_ratio", c / s, "x");
  }

  private static double batchMicros(Limiter limiter, String provider, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      limiter
          .tryAcquire(provider)
          .orElseThrow(() -> new IllegalStateException(provider + " was not free"))
          .release();
    }
    return (System.nanoTime() - t) / 1e3 / n;
  }

  private static double floorBatchMicros(PgFloor floor, String provider, int n)
      throws SQLException {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      if (!floor.cycle(provider, 4)) {
        throw new IllegalStateException("the floor found " + provider + " full");
      }
    }
    return (System.nanoTime() - t) / 1e3 / n;
  }

  // ---------------------------------------------------------------- parallel providers

  /** One setup of the parallel figure: what the workers cycle through, at which commit setting. */
  private record Setup(String engine, String synchronousCommit, String prefix) {}

  private static final List<Setup> SETUPS =
      List.of(
          new Setup("postgres", "off", "postgres_"),
          new Setup("floor", "off", "postgres_floor_"),
          new Setup("sqlite", "off", "postgres_sqlite_"),
          new Setup("postgres", "on", "postgres_sync_"),
          new Setup("floor", "on", "postgres_floor_sync_"));

  /**
   * {@link #PROCS} worker JVMs, each cycling as fast as it can: on a provider of its own, then all
   * on one provider of limit {@link #PROCS}; through the library on PostgreSQL, the bare floor on
   * the same server, and the library on SQLite. The PostgreSQL pairs run at the server's setting of
   * this run ({@code synchronous_commit=off}) and again at PostgreSQL's default ({@code on}: a
   * commit waits for its WAL flush), switched with ALTER SYSTEM and a reload. Two rounds, each pair
   * back to back; the figure is the better round of each (the machine is shared: the worse one is
   * the neighbours' noise, and the first round also warms the JIT). Progress lines show each
   * window's CPU (workers, server, machine idle) and what the server's backends waited for, sampled
   * every 10 ms.
   */
  private static void parallel(Bench b, PgServer server, Limiter pg) throws Exception {
    progress(
        "postgres parallel: %d JVMs cycling on %d providers vs on one provider of limit %d",
        PROCS, PROCS, PROCS);
    for (int i = 0; i < PROCS; i++) {
      pg.limits().set(LimitSpec.of("par-" + i, PROCS));
      b.limiter.limits().set(LimitSpec.of("par-" + i, PROCS));
    }
    pg.limits().set(LimitSpec.of("par-one", PROCS));
    b.limiter.limits().set(LimitSpec.of("par-one", PROCS));
    int rounds = 2;
    Map<String, double[]> rates = new TreeMap<>();
    List<Child> children =
        Child.startAll(
            PROCS,
            "pg-spin",
            b.home.toString(),
            server.url(BENCH_DB),
            Integer.toString(server.port()),
            FLOOR_DB);
    try (Connection sampler = server.connect("postgres")) {
      for (Child c : children) {
        c.expect("ready", 120);
      }
      for (int r = 0; r < rounds; r++) {
        for (Setup setup : SETUPS) {
          synchronousCommit(sampler, setup.synchronousCommit());
          // JIT warm-up: longer the first time each engine runs in these JVMs.
          boolean first = r == 0 && setup.synchronousCommit().equals("off");
          long warm = TimeUnit.MILLISECONDS.toNanos(first ? 1500 : 400);
          for (int k = 0; k < 2; k++) {
            boolean many = (r + k) % 2 == 0; // which layout goes first alternates by round
            double perSecond = phase(children, sampler, setup, many, warm, r + 1);
            rates.computeIfAbsent(setup.prefix() + many, x -> new double[rounds])[r] = perSecond;
          }
        }
      }
      synchronousCommit(sampler, "off");
    } finally {
      for (Child c : children) {
        c.send("quit"); // all at once: each closes two limiters and a connection
      }
      Child.closeAll(children);
    }
    String n = PROCS + "providers";
    for (Setup setup : SETUPS) {
      Report.compared(
          setup.prefix() + "1provider_grants_per_s",
          best(rates.get(setup.prefix() + false)),
          setup.prefix() + n + "_grants_per_s",
          best(rates.get(setup.prefix() + true)),
          "grants/s",
          setup.prefix() + "providers_ratio");
    }
    emit(
        "postgres_" + n + "_vs_floor_ratio",
        best(rates.get("postgres_" + true)) / best(rates.get("postgres_floor_" + true)),
        "x");
  }

  /** One window of the parallel figure; returns the grants per second the workers counted. */
  private static double phase(
      List<Child> children, Connection sampler, Setup setup, boolean many, long warm, int round)
      throws Exception {
    long windowNanos = TimeUnit.MILLISECONDS.toNanos(2000);
    long from = System.nanoTime() + warm;
    long end = from + windowNanos;
    for (int i = 0; i < PROCS; i++) {
      String provider = many ? "par-" + i : "par-one";
      children.get(i).send("run " + setup.engine() + " " + provider + " " + from + " " + end);
    }
    Contender.sleepUntil(from);
    Map<String, Long> cpu0 = CpuTime.threadNanos(children);
    long server0 = serverNanos(sampler);
    long[] machine0 = machineTicks();
    long w0 = System.nanoTime();
    String waits = setup.engine().equals("sqlite") ? "" : sample(sampler, end);
    Contender.sleepUntil(end);
    Map<String, Long> cpu1 = CpuTime.threadNanos(children);
    long server1 = serverNanos(sampler);
    long[] machine1 = machineTicks();
    double wall = System.nanoTime() - w0;
    double workerCores = 0;
    for (var e : cpu1.entrySet()) {
      workerCores += (e.getValue() - cpu0.getOrDefault(e.getKey(), 0L)) / wall;
    }
    long cycles = 0;
    long busy = 0;
    for (Child c : children) {
      String[] done = c.expect("done", 60).split(" ");
      cycles += Long.parseLong(done[1]);
      busy += Long.parseLong(done[2]);
    }
    if (busy > 0) {
      throw new IllegalStateException(
          setup + ": " + busy + " attempts found a provider full: the limits were wrong");
    }
    double perSecond = cycles / (windowNanos / 1e9);
    progress(
        "  round %d, %s%s on %s: %.0f grants/s; workers %.2f cores, server %.2f cores, machine idle"
            + " %.0f%%; busiest threads:%s%s",
        round,
        setup.engine(),
        setup.engine().equals("sqlite")
            ? ""
            : " (synchronous_commit=" + setup.synchronousCommit() + ")",
        many ? PROCS + " providers" : "one provider",
        perSecond,
        workerCores,
        (server1 - server0) / wall,
        100.0 * (machine1[1] - machine0[1]) / Math.max(1, machine1[0] - machine0[0]),
        CpuTime.busiest(cpu0, cpu1),
        waits.isEmpty() ? "" : "; server backends, mean per sample: " + waits);
    return perSecond;
  }

  /** Sets the server's synchronous_commit and waits until a fresh statement sees it. */
  private static void synchronousCommit(Connection c, String value) throws Exception {
    try (Statement s = c.createStatement()) {
      s.execute("ALTER SYSTEM SET synchronous_commit = " + value);
      s.execute("SELECT pg_reload_conf()");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
          rs.next();
          if (rs.getString(1).equals(value)) {
            return;
          }
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException("the server did not take synchronous_commit=" + value);
        }
        Thread.sleep(10);
      }
    }
  }

  private static double best(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }

  /**
   * Until {@code end}, every 10 ms: what each busy client backend of the two databases is doing
   * (its wait event, or on CPU; "in tx" when it waits for its client inside a transaction), and
   * each lock someone waits for. Returns the mean count of each per sample, busiest first.
   */
  private static final String SAMPLE =
      "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU')"
          + " || CASE WHEN state = 'idle in transaction' THEN ' (in tx)' ELSE '' END"
          + " FROM pg_stat_activity WHERE backend_type = 'client backend' AND state <> 'idle'"
          + " AND pid <> pg_backend_pid() AND datname IN ('"
          + BENCH_DB
          + "', '"
          + FLOOR_DB
          + "') UNION ALL SELECT 'waits for ' || locktype"
          + " || CASE WHEN locktype = 'object' THEN ' ' || classid::regclass || '/' || objid"
          + " ELSE '' END || ' ' || mode FROM pg_locks WHERE NOT granted";

  private static String sample(Connection c, long end) throws SQLException {
    Map<String, Integer> seen = new TreeMap<>();
    int samples = 0;
    try (Statement s = c.createStatement()) {
      while (System.nanoTime() < end) {
        try (ResultSet rs = s.executeQuery(SAMPLE)) {
          while (rs.next()) {
            seen.merge(rs.getString(1), 1, Integer::sum);
          }
        }
        samples++;
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
      }
    }
    int n = Math.max(1, samples);
    return seen.entrySet().stream()
            .sorted((x, y) -> y.getValue() - x.getValue())
            .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), (double) e.getValue() / n))
            .collect(Collectors.joining(", "))
        + " ("
        + samples
        + " samples)";
  }

  /** On-CPU nanoseconds of the server's processes (every one pg_stat_activity lists). */
  private static long serverNanos(Connection c) throws SQLException {
    long sum = 0;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity")) {
      while (rs.next()) {
        try {
          sum += CpuTime.schedNanos(rs.getLong(1));
        } catch (java.io.IOException e) {
          // the backend ended
        }
      }
    }
    return sum;
  }

  /** {all ticks, idle+iowait ticks} of the whole machine, from /proc/stat. */
  private static long[] machineTicks() throws java.io.IOException {
    String[] f =
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat"))
            .get(0)
            .trim()
            .split("\\s+");
    long all = 0;
    for (int i = 1; i < f.length; i++) {
      all += Long.parseLong(f[i]);
    }
    return new long[] {all, Long.parseLong(f[4]) + Long.parseLong(f[5])};
  }
}
