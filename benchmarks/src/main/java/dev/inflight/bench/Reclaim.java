package dev.inflight.bench;

import static dev.inflight.bench.Report.emit;
import static dev.inflight.bench.Report.progress;
import static dev.inflight.bench.Report.round;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.store.ProcessIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** kill -9 of a worker holding the only slot, while this JVM waits for it. */
final class Reclaim {
  /**
   * Rounds stop starting this long after the first began (a round whose death is missed takes the
   * 30 s heartbeat TTL).
   */
  private static final long BUDGET_SECONDS = 120;

  private Reclaim() {}

  static void reclaim(Bench b) throws Exception {
    progress("reclaim: kill -9 of a holder -> grant here");
    b.limiter.limits().set(LimitSpec.of("reclaim", 1));
    int rounds = 5;
    List<Double> ms = new ArrayList<>();
    long start = System.nanoTime();
    for (int r = 0; r < rounds; r++) {
      if ((System.nanoTime() - start) / 1e9 > BUDGET_SECONDS) {
        progress("  stopping after %d rounds to stay within the time budget", r);
        break;
      }
      try (Child victim = Child.start("hold", b.home.toString(), "reclaim", "1")) {
        victim.expect("held", 30);
        long heldAt = System.nanoTime();
        CompletableFuture<Lease> f =
            b.limiter.acquireAsync("reclaim", "reclaimer", Duration.ofSeconds(40));
        Thread.sleep(300); // the dispatcher's first pass starts watching the holder's lock file
        if (f.isDone()) {
          throw new IllegalStateException("granted before the holder died");
        }
        String token = ProcessIdentity.startTokenOf(victim.pid()).orElse("unknown");
        CompletableFuture<Long> grantedAt = f.thenApply(lease -> System.nanoTime());
        long t0 = System.nanoTime();
        victim.kill9();
        double aliveMs = looksAliveMs(victim.pid(), token, t0);
        Lease lease;
        try {
          lease = f.get(45, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new IllegalStateException("no grant after kill -9 of the holder", e.getCause());
        }
        double took = (grantedAt.get() - t0) / 1e6;
        ms.add(took);
        if (took > 1000) {
          progress(
              "  round %d: %.0f ms; the holder had been alive %.1f s: its death was missed and only"
                  + " its heartbeat TTL (30 s after registering) reclaimed it",
              r, took, (t0 - heldAt) / 1e9 + 0.0);
        }
        progress(
            "  round %d: granted after %.1f ms; ProcessIdentity.isAlive was still true %.2f ms"
                + " after SIGKILL",
            r, took, aliveMs);
        lease.close();
      }
    }
    double[] all = ms.stream().mapToDouble(Double::doubleValue).toArray();
    progress("  reclaim ms: %s", Arrays.toString(round(all)));
    emit("reclaim_ms", Stats.median(all), "ms");
    emit("reclaim_max_ms", Stats.quantile(all, 1), "ms");
    emit("reclaim_rounds", all.length, "rounds");
  }

  /**
   * How long after {@code killedAt} the store's own liveness test still calls the process alive
   * (exiting, then a zombie until its parent reaps it). Polls for at most 2 s.
   */
  private static double looksAliveMs(long pid, String token, long killedAt) {
    long limit = killedAt + TimeUnit.SECONDS.toNanos(2);
    long now = System.nanoTime();
    while (now < limit && ProcessIdentity.isAlive(pid, token)) {
      now = System.nanoTime();
    }
    return (now - killedAt) / 1e6;
  }
}
