package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;
import static dev.inflight.bench.Report.round;

import dev.inflight.client.Limiter;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/** build() + first status() on a current database: repeated in this JVM, and in fresh JVMs. */
final class Open {
  private Open() {}

  static void openCurrent(Bench b) throws Exception {
    progress("open: build() + status() of a current database");
    int warm = 5;
    int n = 20;
    double[] ms = new double[n];
    for (int i = 0; i < warm + n; i++) {
      long t0 = System.nanoTime();
      try (Limiter l = Limiter.builder().home(b.home).build()) {
        l.status();
        if (i >= warm) {
          ms[i - warm] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    int fresh = 5;
    double[] freshMs = new double[fresh];
    double[] wholeMs = new double[fresh];
    for (int i = 0; i < fresh; i++) {
      long t0 = System.nanoTime();
      try (Child c = Child.start("open", b.home.toString())) {
        freshMs[i] = c.expectLong("open", 60) / 1e6;
        c.process.waitFor(30, TimeUnit.SECONDS);
      }
      wholeMs[i] = (System.nanoTime() - t0) / 1e6;
    }
    progress("  repeated opens ms: %s", Arrays.toString(round(ms)));
    progress(
        "  fresh JVM ms: %s (whole process %s)",
        Arrays.toString(round(freshMs)), Arrays.toString(round(wholeMs)));
    emit("open_current_ms", Stats.median(ms), "ms");
    emit("open_current_fresh_jvm_ms", Stats.median(freshMs), "ms");
  }
}
