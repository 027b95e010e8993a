package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;
import static dev.inflight.bench.Report.round;

import dev.inflight.client.Lease;
import dev.inflight.client.LeaseRequest;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The limit model's figures, each beside the plain provider limit measured in the same run: the
 * cycle with a two-level pool and a token budget ({@code pool}), contended grants with two models
 * under one provider limit ({@code models}), and budget precision over more than a minute of
 * requests against a requests-per-minute budget ({@code budget}).
 */
final class ModelFigures {
  private ModelFigures() {}

  /** acquire+release: provider and model levels, a token budget, real counts; against plain. */
  static void poolCycle(Bench b) throws Exception {
    progress("pool: acquire+release, two levels and a token budget vs the plain provider limit");
    Limiter l = b.limiter;
    l.limits().set(LimitSpec.of("plain", 4));
    l.limits().set(LimitSpec.of("pool", 4).withBudgets(1_000_000, 1_000_000_000, 0));
    l.limits().setModel(ModelLimitSpec.of("pool", "gpt-4o", 4));
    LeaseRequest plain = LeaseRequest.of("plain");
    LeaseRequest pool = LeaseRequest.of("pool/gpt-4o").tokens(1_000);
    for (int i = 0; i < 3000; i++) {
      cycle(l, plain);
      cycle(l, pool);
    }
    int rounds = 11;
    int batch = 1000;
    double[] flat = new double[rounds];
    double[] levels = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      flat[r] = batch(l, plain, batch);
      levels[r] = batch(l, pool, batch);
    }
    progress("  plain batches us: %s", Arrays.toString(round(flat)));
    progress("  pool batches us:  %s", Arrays.toString(round(levels)));
    Report.compared(
        "plain_cycle_us",
        Stats.median(flat),
        "pool_cycle_us",
        Stats.median(levels),
        "us",
        "pool_cycle_ratio");
    walFrames(b, plain, pool);
  }

  /**
   * Pages each cycle writes to the WAL, plain and pool: with synchronous=NORMAL most of a commit's
   * cost is what it writes (the frames, and the checkpoints that copy them back), so the timed
   * {@code pool_cycle_ratio} leans towards this one, which the schema alone sets. Counted by {@code
   * wal_checkpoint}, which answers the WAL's frames: emptied first (TRUNCATE), then read after 200
   * cycles; the median of five such counts (a heartbeat's checkpoint in between restarts the WAL
   * and undercounts one).
   */
  private static void walFrames(Bench b, LeaseRequest plain, LeaseRequest pool) throws Exception {
    Path db = b.home.resolve("limiter.db");
    try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + db)) {
      double[] flat = new double[5];
      double[] levels = new double[5];
      for (int r = 0; r < flat.length; r++) {
        flat[r] = framesPerCycle(c, b.limiter, plain);
        levels[r] = framesPerCycle(c, b.limiter, pool);
      }
      progress(
          "  WAL frames per cycle: plain %s, pool %s",
          Arrays.toString(round(flat)), Arrays.toString(round(levels)));
      Report.compared(
          "plain_wal_frames_per_cycle",
          Stats.median(flat),
          "pool_wal_frames_per_cycle",
          Stats.median(levels),
          "pages",
          "pool_wal_frames_ratio");
    }
  }

  private static double framesPerCycle(Connection c, Limiter l, LeaseRequest r) throws Exception {
    checkpoint(c, "TRUNCATE");
    int n = 200;
    for (int i = 0; i < n; i++) {
      cycle(l, r);
    }
    return checkpoint(c, "PASSIVE") / (double) n;
  }

  /** Runs a checkpoint; returns the WAL's frames as it reports them. */
  private static long checkpoint(Connection c, String mode) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      rs.next();
      return rs.getLong(2);
    }
  }

  private static void cycle(Limiter l, LeaseRequest r) {
    Lease lease = l.tryAcquire(r).orElseThrow(() -> new IllegalStateException(r + " was full"));
    lease.release(Outcome.SUCCEEDED, 600);
  }

  private static double batch(Limiter l, LeaseRequest r, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      cycle(l, r);
    }
    return (System.nanoTime() - t) / 1e3 / n;
  }

  /**
   * 4 JVMs on limit 2: one provider level alone, then two models each with a level of their own.
   * The runs go single, models, models, single, models, single, single, models, so that a machine
   * that speeds up or slows down during the figure (JIT, other load) weighs on both alike; each
   * side's figure is the mean of its four runs, printed with their spread. Each run has fresh JVMs
   * and 5 s of warm-up (the JIT's compiler threads still use about 0.3 of a core in the window,
   * against 0.4 after 3 s).
   *
   * <p>Grants per second on 2 cores vary by a fifth from run to run, whatever the levels. Each run
   * also prints the workers' CPU per grant (compiler threads left out): the workers keep about 1.5
   * of the 2 cores busy, so it is nearly the inverse of the run's grants per second, and no
   * steadier; it says where a slow run's time went (more CPU per grant, not more waiting).
   */
  static void twoModels(Bench b) throws Exception {
    progress(
        "models: 4 JVMs, limit 2, single level vs two models with levels of their own"
            + " (runs in the order single, models, models, single, models, single, single, models)");
    b.limiter.limits().set(LimitSpec.of("single", 2));
    b.limiter.limits().set(LimitSpec.of("models", 2));
    b.limiter.limits().setModel(ModelLimitSpec.of("models", "gpt-4o", 2));
    b.limiter.limits().setModel(ModelLimitSpec.of("models", "gpt-4o-mini", 2));
    String home = b.home.toString();
    String[] order = {
      "single", "models", "models", "single", "models", "single", "single", "models"
    };
    double[] single = new double[order.length / 2];
    double[] two = new double[order.length / 2];
    int s = 0;
    int m = 0;
    long violations = 0;
    long fifoViolations = 0;
    for (int i = 0; i < order.length; i++) {
      boolean models = order[i].equals("models");
      Contention.Run run =
          Contention.run(
              4,
              2,
              5,
              8,
              b.work.resolve(order[i] + "-witness-" + i + ".log"),
              "contend",
              home,
              models ? "models|gpt-4o|gpt-4o-mini" : "single");
      progress(
          "  run %d (%s): %.0f grants/s, %.0f us of worker CPU per grant",
          i + 1, order[i], run.grantsPerSecond(), run.cpuUsPerGrant());
      if (models) {
        two[m++] = run.grantsPerSecond();
        violations += run.replay().violations();
        fifoViolations += run.fifo().violations();
      } else {
        single[s++] = run.grantsPerSecond();
      }
    }
    progress(
        "  grants/s: single %s, models %s",
        Arrays.toString(round(single)), Arrays.toString(round(two)));
    Report.compared(
        "single_level_grants_per_s",
        mean(single),
        "two_models_grants_per_s",
        mean(two),
        "grants/s",
        "two_models_ratio");
    emit("two_models_violations", violations, "count");
    emit("two_models_fifo_violations", fifoViolations, "count");
  }

  private static double mean(double[] xs) {
    return Arrays.stream(xs).average().orElseThrow();
  }

  /**
   * Two JVMs ask as fast as they can for 65 s against a budget of 120 requests per minute; the
   * witness (each grant's start time, as the worker read the wall clock once it held the lease)
   * gives the most starts in any 60 s window, against the budget.
   */
  static void budget(Bench b) throws Exception {
    int rpm = 120;
    progress("budget: 2 JVMs for 65 s against %d requests per minute", rpm);
    b.limiter
        .limits()
        .set(new LimitSpec("budget", 0, java.time.Duration.ZERO, false, false, rpm, 0, 0, null));
    Path witness = b.work.resolve("budget-witness.log");
    Files.deleteIfExists(witness);
    List<Child> children =
        Child.startAll(2, "budget", b.home.toString(), "budget", witness.toString(), "65");
    try {
      for (Child c : children) {
        c.expect("done", 180);
      }
    } finally {
      Child.closeAll(children);
    }
    List<Long> seen = new ArrayList<>();
    List<Long> recorded = new ArrayList<>();
    for (String line : Files.readAllLines(witness)) {
      String[] f = line.split(" ");
      seen.add(Long.parseLong(f[1]));
      recorded.add(Long.parseLong(f[2]));
    }
    progress(
        "  %d starts over %.1f s",
        seen.size(), (Collections.max(seen) - Collections.min(seen)) / 1e3);
    emit("budget_rpm", rpm, "requests/min");
    emit("budget_most_in_any_60s", mostInAnyMinute(seen), "requests");
    emit("budget_most_in_any_60s_db", mostInAnyMinute(recorded), "requests");
    long lag = 0;
    for (int i = 0; i < seen.size(); i++) {
      lag = Math.max(lag, seen.get(i) - recorded.get(i));
    }
    // A worker reads its clock a little after the grant's transaction: two starts exactly 60 s
    // apart by the grants' own times can look closer than 60 s to the witness.
    emit("budget_witness_lag_max_ms", lag, "ms");
    emit("budget_precision_ratio", (double) mostInAnyMinute(seen) / rpm, "x");
  }

  /** The most of {@code starts} (ms) that lie within less than 60 s of each other. */
  private static int mostInAnyMinute(List<Long> starts) {
    List<Long> sorted = new ArrayList<>(starts);
    Collections.sort(sorted);
    int most = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (sorted.get(to) - sorted.get(from) >= 60_000) {
        from++;
      }
      most = Math.max(most, to - from + 1);
    }
    return most;
  }
}
