package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;

import dev.inflight.client.LimitSpec;
import java.util.Map;

/**
 * CPU of a worker JVM with 100 requests queued behind a holder in another JVM, beside a bare JVM
 * (same flags, same classpath, no limiter) sleeping over the same windows: 10 s and 60 s, both
 * starting after a 6 s warm-up, so that the JIT's tail shows in the shorter one.
 */
final class Idle {
  private Idle() {}

  static void idle(Bench b) throws Exception {
    progress(
        "idle: CPU of a JVM with 100 queued waiters and of a bare JVM, 6 s warm-up, 10 s, 60 s");
    b.limiter.limits().set(LimitSpec.of("idle", 1));
    String home = b.home.toString();
    try (Child holder = Child.start("hold", home, "idle", "1")) {
      holder.expect("held", 30);
      try (Child idler = Child.start("wait", home, "idle", "100");
          Child bare = Child.start("bare", home)) {
        idler.expect("queued", 60);
        bare.expect("ready", 30);
        Thread.sleep(6000);
        long pid = idler.pid();
        Map<String, Long> threads0 = CpuTime.threadNanos(pid);
        CpuTime.Reading idle0 = CpuTime.Reading.of(pid);
        CpuTime.Reading bare0 = CpuTime.Reading.of(bare.pid());
        Thread.sleep(10_000);
        CpuTime.Reading idle10 = CpuTime.Reading.of(pid);
        CpuTime.Reading bare10 = CpuTime.Reading.of(bare.pid());
        Map<String, Long> threads10 = CpuTime.threadNanos(pid);
        report("10 s", "", idle0, idle10, bare0, bare10);
        progress("  busiest threads over the 10 s:%s", CpuTime.busiest(threads0, threads10));
        Thread.sleep(50_000);
        CpuTime.Reading idle60 = CpuTime.Reading.of(pid);
        CpuTime.Reading bare60 = CpuTime.Reading.of(bare.pid());
        Map<String, Long> threads60 = CpuTime.threadNanos(pid);
        report("60 s", "_60s", idle0, idle60, bare0, bare60);
        progress("  busiest threads over the 60 s:%s", CpuTime.busiest(threads0, threads60));
      }
    }
  }

  private static void report(
      String window,
      String suffix,
      CpuTime.Reading idle0,
      CpuTime.Reading idle1,
      CpuTime.Reading bare0,
      CpuTime.Reading bare1) {
    progress(
        "  %s: idle CPU %% of a core: %.3f (per-thread schedstat, ns), %.3f (utime+stime, 10 ms"
            + " ticks); bare JVM %.3f, %.3f",
        window,
        idle1.schedPercentSince(idle0),
        idle1.statPercentSince(idle0),
        bare1.schedPercentSince(bare0),
        bare1.statPercentSince(bare0));
    double idle = idle1.percentSince(idle0);
    double bare = bare1.percentSince(bare0);
    emit("idle_cpu_bare_jvm" + suffix + "_pct", bare, "%");
    emit("idle_cpu" + suffix + "_pct", idle, "%");
    emit("idle_cpu_over_bare" + suffix + "_pct", idle - bare, "%");
  }
}
