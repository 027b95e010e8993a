package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;

import dev.inflight.client.LimitSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Worker JVMs contending for one provider, each request held 0–2 ms: through the limiter, then,
 * with the same warm-up and window, through the bare protocol of {@link Floor} on the floor's
 * database (poll every ~1 ms). Both write the witness file; its replay checks the limit and, for
 * the limiter, first-come-first-served order ({@link Stats#fifo}).
 */
final class Contention {
  private Contention() {}

  /** What one run of contenders did inside the window, as they reported and the witness saw it. */
  record Run(
      double grantsPerSecond,
      double[] waitMs,
      long wakeups,
      long queuedGrants,
      long signals,
      Stats.Replay replay,
      Stats.Fifo fifo,
      double cpuUsPerGrant) {
    double wakeupsPerGrant() {
      return (double) wakeups / queuedGrants;
    }

    double signalsPerGrant() {
      return (double) signals / queuedGrants;
    }
  }

  /**
   * One contended figure: {@code procs} JVMs, limit {@code limit}, figures named {@code name_...}
   * (the limit check of the limiter run is named {@code violationsName}).
   */
  static void contended(
      Bench b, String name, String violationsName, int procs, int limit, int warm, int seconds)
      throws Exception {
    progress(
        "%s: %d worker JVMs, limit %d, %d s warm-up then %d s, witness file; then the floor alike",
        name, procs, limit, warm, seconds);
    String provider = name;
    b.limiter.limits().set(LimitSpec.of(provider, limit));
    Path witness = b.work.resolve(name + "-witness.log");
    Run lim = run(procs, limit, warm, seconds, witness, "contend", b.home.toString(), provider);
    Path floorWitness = b.work.resolve(name + "-floor-witness.log");
    String db = b.floorDatabase().toString();
    Run flo =
        run(procs, limit, warm, seconds, floorWitness, "floor-contend", db, provider, "" + limit);

    Report.compared(
        name + "_floor_grants_per_s",
        flo.grantsPerSecond(),
        name + "_grants_per_s",
        lim.grantsPerSecond(),
        "grants/s",
        name + "_ratio");
    Report.compared(
        name + "_floor_wait_p50_ms",
        Stats.quantileOrNaN(flo.waitMs(), 0.5),
        name + "_wait_p50_ms",
        Stats.quantileOrNaN(lim.waitMs(), 0.5),
        "ms",
        name + "_wait_p50_ratio");
    Report.compared(
        name + "_floor_wait_max_ms",
        Stats.quantileOrNaN(flo.waitMs(), 1),
        name + "_wait_max_ms",
        Stats.quantileOrNaN(lim.waitMs(), 1),
        "ms",
        name + "_wait_max_ratio");
    emit(name + "_fifo_violations", lim.fifo().violations(), "count");
    emit(name + "_fifo_checked", lim.fifo().checked(), "grants");
    emit(name + "_floor_fifo_violations", flo.fifo().violations(), "count");
    emit(name + "_floor_wakeups_per_grant", flo.wakeupsPerGrant(), "wakeups/grant");
    emit(name + "_wakeups_per_grant", lim.wakeupsPerGrant(), "wakeups/grant");
    emit(name + "_signals_per_grant", lim.signalsPerGrant(), "signals/grant");
    emit(name + "_floor_violations", flo.replay().violations(), "count");
    emit(violationsName, lim.replay().violations(), "count");
  }

  /** Starts {@code procs} workers of {@code role}, runs them through one window, and replays. */
  static Run run(
      int procs, int limit, int warm, int seconds, Path witness, String role, String... args)
      throws Exception {
    Files.deleteIfExists(witness);
    String[] all = new String[args.length + 1];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = witness.toString();
    List<Child> children = Child.startAll(procs, role, all);
    try {
      for (Child c : children) {
        c.expect("ready", 120);
      }
      long from = System.nanoTime() + TimeUnit.SECONDS.toNanos(warm);
      long end = from + TimeUnit.SECONDS.toNanos(seconds);
      for (Child c : children) {
        c.send("go " + from + " " + end);
      }
      // Which threads use the CPU, from 1 s into the window to 1 s before its end.
      Contender.sleepUntil(from + TimeUnit.SECONDS.toNanos(1));
      Map<String, Long> cpu0 = CpuTime.threadNanos(children);
      long w0 = System.nanoTime();
      Contender.sleepUntil(end - TimeUnit.SECONDS.toNanos(1));
      Map<String, Long> cpu1 = CpuTime.threadNanos(children);
      long w1 = System.nanoTime();
      double total = 0;
      double jit = 0;
      for (var e : cpu1.entrySet()) {
        long used = e.getValue() - cpu0.getOrDefault(e.getKey(), 0L);
        total += used;
        if (e.getKey().startsWith("C1 Compiler") || e.getKey().startsWith("C2 Compiler")) {
          jit += used;
        }
      }
      progress(
          "  %s: workers used %.2f cores; busiest threads (all %d) over %.1f s:%s",
          role, total / (w1 - w0), procs, (w1 - w0) / 1e9, CpuTime.busiest(cpu0, cpu1));
      long reported = 0;
      long counted = 0;
      List<Double> waits = new ArrayList<>();
      long[] stats = new long[3];
      for (Child c : children) {
        String[] done = c.expect("done", seconds + 60).split(" ");
        reported += Long.parseLong(done[1]);
        counted += Long.parseLong(done[2]);
        String[] w = c.expect("waits", 30).split(" ");
        for (int i = 1; i < w.length; i++) {
          waits.add(Long.parseLong(w[i]) / 1e6);
        }
        String[] ws = c.expect("waitstats", 30).split(" ");
        for (int i = 0; i < 3; i++) {
          stats[i] += Long.parseLong(ws[i + 1]);
        }
      }
      List<String> lines = Files.readAllLines(witness);
      Stats.Replay r = Stats.replay(lines, limit);
      if (r.grants() != reported) {
        throw new IllegalStateException(
            "witness saw " + r.grants() + " grants, workers reported " + reported);
      }
      Stats.Fifo fifo = Stats.fifo(lines);
      double[] waitMs = waits.stream().mapToDouble(Double::doubleValue).toArray();
      progress(
          "  %s: grants %d (%d in the window), most held at once %d, violations %d;"
              + " FIFO: %d of %d grants could have overtaken, %d did",
          role,
          r.grants(),
          counted,
          r.maxHeld(),
          r.violations(),
          fifo.checked(),
          r.grants(),
          fifo.violations());
      progress(
          "  %s: wait ms %s; wake-ups %d, queued grants %d, signals %d",
          role, Report.spread(waitMs), stats[0], stats[1], stats[2]);
      double perSecond = (double) counted / seconds;
      // The workers' own CPU per grant over the same inner window (grants spread evenly over the
      // window), the JIT's compiler threads left out: what a grant costs, whatever the scheduler
      // made of the wall clock.
      double cpuUsPerGrant = (total - jit) / 1e3 / (perSecond * (w1 - w0) / 1e9);
      return new Run(perSecond, waitMs, stats[0], stats[1], stats[2], r, fifo, cpuUsPerGrant);
    } finally {
      Child.closeAll(children);
    }
  }
}
