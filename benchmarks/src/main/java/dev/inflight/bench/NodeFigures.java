package dev.inflight.bench;

import static dev.inflight.bench.Report.progress;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

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
    Process local =
        new ProcessBuilder("node", script.toString(), "local", b.home.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(local.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println(line); // already "name value unit"
        System.out.flush();
      }
    }
    if (local.waitFor() != 0) {
      throw new IllegalStateException("bench.mjs local exited with " + local.exitValue());
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
    Process p =
        new ProcessBuilder("node", script.toString(), "waiter", b.home.toString(), PROVIDER)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the waiter is gone
              }
            },
            "bench-node-stdout");
    reader.setDaemon(true);
    reader.start();
    try (PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
      expect(lines, "ready");
      for (int i = 0; i < warm + n; i++) {
        Lease a = takeFreeSlot(b);
        in.println("go");
        expect(lines, "queued");
        Thread.sleep(3 + ThreadLocalRandom.current().nextInt(5)); // the waiter goes idle
        long t0 = System.nanoTime();
        a.release();
        long t1 = Long.parseLong(expect(lines, "granted ").substring("granted ".length()).trim());
        if (i >= warm) {
          ms[i - warm] = (t1 - t0) / 1e6;
        }
      }
      in.println("quit");
    } finally {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
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

  private static String expect(BlockingQueue<String> lines, String word)
      throws InterruptedException {
    String line = lines.poll(30, TimeUnit.SECONDS);
    if (line == null || !line.startsWith(word)) {
      throw new IllegalStateException(
          "the Node waiter sent "
              + (line == null ? "nothing" : "'" + line + "'")
              + " where '"
              + word
              + "' was expected");
    }
    return line;
  }
}
