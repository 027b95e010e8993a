package dev.inflight.bench;

import static dev.inflight.bench.Report.progress;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How fast a freed slot reaches a waiter in another JVM: freed by a release in this JVM ({@code
 * handoff}, beside a waiter polling the bare protocol on the floor's database), or by raising the
 * limit with the real {@code sqlite3} CLI ({@code hand_edit}, beside the run of {@code sqlite3}
 * itself).
 */
final class Handoff {
  private static final String HAND_EDIT = "hand_edit";

  private Handoff() {}

  /**
   * A (this JVM) holds the only slot, B (a worker) queues; A releases; B reports its grant. In the
   * same rounds, interleaved: A holds the floor's only row, floor-B polls (BEGIN IMMEDIATE; count;
   * insert if free; COMMIT; else park 1 ms); A deletes its row; floor-B reports its row.
   */
  static void handoff(Bench b) throws Exception {
    progress(
        "handoff: release here -> grant in a waiting JVM, beside a JVM polling the bare floor");
    b.limiter.limits().set(LimitSpec.of("handoff", 1));
    Path db = b.floorDatabase();
    int warm = 30;
    int n = 300;
    double[] ms = new double[n];
    double[] releaseMs = new double[n];
    double[] floorMs = new double[n];
    try (Child lb = Child.start("handoff", b.home.toString(), "handoff");
        Child fb = Child.start("floor-handoff", db.toString(), "handoff");
        Floor floor = new Floor(db)) {
      lb.expect("ready", 30);
      fb.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        // Alternate which goes first, so that neither always follows the other's noise.
        boolean floorFirst = i % 2 == 1;
        double floorRound = floorFirst ? floorRound(floor, fb) : 0;
        double[] limiterRound = limiterRound(b.limiter, "handoff", lb);
        if (!floorFirst) {
          floorRound = floorRound(floor, fb);
        }
        if (i >= warm) {
          ms[i - warm] = limiterRound[0];
          releaseMs[i - warm] = limiterRound[1];
          floorMs[i - warm] = floorRound;
        }
      }
    }
    progress("  handoff ms: %s", Report.spread(ms));
    progress(
        "  of which A's release() call itself: p50 %.3f p99 %.3f (the rest is B learning of it)",
        Stats.quantile(releaseMs, 0.5), Stats.quantile(releaseMs, 0.99));
    progress("  floor handoff ms: %s", Report.spread(floorMs));
    Report.compared(
        "handoff_floor_p50_ms",
        Stats.quantile(floorMs, 0.5),
        "handoff_p50_ms",
        Stats.quantile(ms, 0.5),
        "ms",
        "handoff_p50_ratio");
    Report.compared(
        "handoff_floor_p99_ms",
        Stats.quantile(floorMs, 0.99),
        "handoff_p99_ms",
        Stats.quantile(ms, 0.99),
        "ms",
        "handoff_p99_ratio");
  }

  /**
   * One round through a limiter: A (this JVM, through {@code limiter}) holds the only slot of
   * {@code provider}, {@code waiter} queues, A releases. Returns {hand-off ms, A's release() ms}.
   * PostgreSQL's hand-off runs the same rounds ({@link PgHandoff}).
   */
  static double[] limiterRound(Limiter limiter, String provider, Child waiter) throws Exception {
    Lease a =
        limiter
            .tryAcquire(provider, "handoff-a")
            .orElseThrow(() -> new IllegalStateException("A could not take the free slot"));
    waiter.send("go");
    waiter.expect("queued", 10);
    letWaiterIdle();
    long t0 = System.nanoTime();
    a.release();
    long released = System.nanoTime();
    long t1 = waiter.expectLong("granted", 10);
    return new double[] {(t1 - t0) / 1e6, (released - t0) / 1e6};
  }

  /** The floor's hand-off ms. */
  private static double floorRound(Floor floor, Child fb) throws Exception {
    long row = floor.tryGrant("handoff", 1);
    if (row == 0) {
      throw new IllegalStateException("floor A could not take the free slot");
    }
    fb.send("go");
    fb.expect("queued", 10);
    letWaiterIdle();
    long t0 = System.nanoTime();
    floor.release(row);
    long t1 = fb.expectLong("granted", 10);
    return (t1 - t0) / 1e6;
  }

  /** 3–7 ms: the waiter's threads go idle, and the free slot comes at a random phase of a poll. */
  static void letWaiterIdle() throws InterruptedException {
    Thread.sleep(3 + ThreadLocalRandom.current().nextInt(5));
  }

  /**
   * A waiter JVM is queued on a provider of limit 1 whose slot this JVM holds; {@code sqlite3}
   * raises the limit to 2. Timed from just before starting {@code sqlite3} to the instant the
   * waiter holds its lease; the floor is the {@code sqlite3} run alone (start to exit), in the same
   * rounds. Between rounds the limit goes back to 1 and the waiter queues again.
   */
  static void handEdit(Bench b) throws Exception {
    progress("hand_edit: sqlite3 raises a limit -> grant in a waiting JVM, beside sqlite3's run");
    b.limiter.limits().set(LimitSpec.of(HAND_EDIT, 1));
    String db = b.limiter.databaseFile().toString();
    List<String> edit =
        List.of(
            "sqlite3",
            "-cmd",
            ".timeout 5000",
            db,
            "UPDATE limits SET max_in_flight = 2 WHERE provider = '" + HAND_EDIT + "'");
    int warm = 3;
    int n = 20;
    double[] ms = new double[n];
    double[] sqliteMs = new double[n];
    Lease mine =
        b.limiter
            .tryAcquire(HAND_EDIT, "hand-edit-holder")
            .orElseThrow(() -> new IllegalStateException(HAND_EDIT + " was not free"));
    try (Child w = Child.start("handoff", b.home.toString(), HAND_EDIT)) {
      w.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        b.limiter.limits().set(LimitSpec.of(HAND_EDIT, 1));
        w.send("go");
        w.expect("queued", 10);
        letWaiterIdle();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(edit).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        long t1 = System.nanoTime();
        if (rc != 0 || !said.isBlank()) {
          throw new IllegalStateException("sqlite3 exited " + rc + ": " + said.strip());
        }
        long granted = w.expectLong("granted", 30);
        if (i >= warm) {
          ms[i - warm] = (granted - t0) / 1e6;
          sqliteMs[i - warm] = (t1 - t0) / 1e6;
        }
      }
    } finally {
      mine.close();
    }
    progress("  hand edit -> grant ms: %s", Report.spread(ms));
    progress("  sqlite3 run ms:        %s", Report.spread(sqliteMs));
    Report.compared(
        "hand_edit_floor_p50_ms",
        Stats.quantile(sqliteMs, 0.5),
        "hand_edit_p50_ms",
        Stats.quantile(ms, 0.5),
        "ms",
        "hand_edit_p50_ratio");
    Report.compared(
        "hand_edit_floor_p99_ms",
        Stats.quantile(sqliteMs, 0.99),
        "hand_edit_p99_ms",
        Stats.quantile(ms, 0.99),
        "ms",
        "hand_edit_p99_ratio");
  }
}
