package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;
import static dev.inflight.bench.Report.round;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.util.Arrays;

/**
 * The cost of one uncontended lease cycle (tryAcquire + release in this JVM): against the bare
 * SQLite floor ({@code cycle}), and with 10,000 requests queued on other providers ({@code queue}).
 */
final class Cycle {
  private Cycle() {}

  /** Uncontended tryAcquire+release against the bare transaction, batches interleaved. */
  static void cycle(Bench b) throws Exception {
    progress("cycle: uncontended acquire+release vs the bare SQLite floor");
    b.limiter.limits().set(LimitSpec.of("cycle", 4));
    try (Floor floor = new Floor(b.floorDatabase())) {
      for (int i = 0; i < 3000; i++) {
        limiterCycle(b.limiter, "cycle");
        floor.cycle("cycle", 4);
      }
      int rounds = 11;
      int batch = 1000;
      double[] lim = new double[rounds];
      double[] flo = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        lim[r] = limiterBatchMicros(b.limiter, "cycle", batch);
        long t = System.nanoTime();
        for (int i = 0; i < batch; i++) {
          if (!floor.cycle("cycle", 4)) {
            throw new IllegalStateException("floor found its provider full");
          }
        }
        flo[r] = (System.nanoTime() - t) / 1e3 / batch;
      }
      double c = Stats.median(lim);
      double f = Stats.median(flo);
      progress("  limiter batches us: %s", Arrays.toString(round(lim)));
      progress("  floor batches us:   %s", Arrays.toString(round(flo)));
      emit("cycle_us", c, "us");
      emit("floor_cycle_us", f, "us");
      emit("cycle_ratio", c / f, "x");
    }
  }

  /** Cycle cost with 10,000 requests queued on 100 other providers, against none. */
  static void queueScaling(Bench b) throws Exception {
    progress("queue: cycle cost with 10,000 waiters on other providers / none");
    Limiter limiter = b.limiter;
    limiter.limits().set(LimitSpec.of("scaling", 4));
    int providers = 100;
    int per = 100;
    for (int p = 0; p < providers; p++) {
      limiter.limits().set(LimitSpec.of("q" + p, 1));
    }
    int rounds = 7;
    int batch = 1000;
    limiterBatchMicros(limiter, "scaling", 3000);
    double[] none = batches(limiter, "scaling", rounds, batch);
    double[] loaded;
    double[] stopped;
    try (Child q = Child.start("queue", b.home.toString(), "q", "" + providers, "" + per)) {
      q.expect("queued", 240);
      Thread.sleep(2000);
      loaded = batches(limiter, "scaling", rounds, batch);
      signal("STOP", q.pid()); // the waiting process's reaction off: the database's own cost
      try {
        Thread.sleep(200);
        stopped = batches(limiter, "scaling", rounds, batch);
      } finally {
        signal("CONT", q.pid());
      }
    }
    double base = Stats.median(none);
    progress("  none us:    %s", Arrays.toString(round(none)));
    progress("  10k us:     %s", Arrays.toString(round(loaded)));
    progress("  10k, waiting JVM stopped us: %s", Arrays.toString(round(stopped)));
    emit("queue_scaling_ratio", Stats.median(loaded) / base, "x");
    emit("queue_scaling_db_ratio", Stats.median(stopped) / base, "x");
  }

  private static void limiterCycle(Limiter limiter, String provider) {
    Lease lease =
        limiter
            .tryAcquire(provider)
            .orElseThrow(() -> new IllegalStateException(provider + " was not free"));
    lease.release();
  }

  /** Mean microseconds of one acquire+release over {@code n} cycles. */
  private static double limiterBatchMicros(Limiter limiter, String provider, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      limiterCycle(limiter, provider);
    }
    return (System.nanoTime() - t) / 1e3 / n;
  }

  private static double[] batches(Limiter limiter, String provider, int rounds, int batch) {
    double[] us = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      us[r] = limiterBatchMicros(limiter, provider, batch);
    }
    return us;
  }

  private static void signal(String sig, long pid) throws Exception {
    int rc =
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " failed");
    }
  }
}
