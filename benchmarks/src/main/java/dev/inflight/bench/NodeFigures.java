package dev.inflight.bench;

import static dev.inflight.bench.Report.progress;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Node.js client's figures ({@code clients/node/bench/bench.mjs}), on this run's config root:
 * its uncontended acquire+release and the idle CPU of 100 Node waiters (printed as the script
 * prints them), and the hand-off from a release in this JVM to a waiting Node process. Needs {@code
 * node} on the PATH and {@code npm ci} run in {@code clients/node}; without them it says so and
 * prints nothing.
 */
final class NodeFigures {
  private static final String PROVIDER = "node_handoff";

  private NodeFigures() {}

  static void node(Bench b) throws Exception {
    Path script = Path.of("clients", "node", "bench", "bench.mjs").toAbsolutePath();
    Path dist = Path.of("clients", "node", "dist", "index.js");
    if (!Files.exists(script) || !Files.exists(dist)) {
      progress("node: skipped: %s or %s is missing (npm ci in clients/node)", script, dist);
      return;
    }
    progress("node: acquire+release and 100 idle waiters in Node (bench.mjs local)");
    int exit = ForeignProcess.relay("node", script.toString(), "local", b.home.toString());
    if (exit != 0) {
      throw new IllegalStateException("bench.mjs local exited with " + exit);
    }
    handoff(b, script);
  }

  /**
   * A (this JVM) holds the only slot, a Node process queues; A releases; Node reports its grant on
   * CLOCK_MONOTONIC (process.hrtime), which System.nanoTime also reads on Linux.
   */
  private static void handoff(Bench b, Path script) throws Exception {
    progress("node: release in this JVM -> grant in a waiting Node process");
    b.limiter.limits().set(LimitSpec.of(PROVIDER, 1));
    int warm = 20;
    int n = 200;
    double[] ms = new double[n];
    try (ForeignProcess waiter =
        ForeignProcess.start(
            "the Node waiter", "node", script.toString(), "waiter", b.home.toString(), PROVIDER)) {
      waiter.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        Lease a = takeFreeSlot(b);
        waiter.go();
        Thread.sleep(3 + ThreadLocalRandom.current().nextInt(5)); // the waiter goes idle
        long t0 = System.nanoTime();
        a.release();
        long t1 = waiter.granted();
        if (i >= warm) {
          ms[i - warm] = (t1 - t0) / 1e6;
        }
      }
    }
    progress("  node handoff ms: %s", Report.spread(ms));
    Report.emit("node_handoff_p50_ms", Stats.quantile(ms, 0.5), "ms");
    Report.emit("node_handoff_p99_ms", Stats.quantile(ms, 0.99), "ms");
  }

  /** The Node waiter releases right after it reports its grant: wait for that release. */
  private static Lease takeFreeSlot(Bench b) throws InterruptedException {
    for (int i = 0; i < 10_000; i++) {
      java.util.Optional<Lease> a = b.limiter.tryAcquire(PROVIDER, "node-handoff-a");
      if (a.isPresent()) {
        return a.get();
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("the Node waiter did not release its lease");
  }
}
