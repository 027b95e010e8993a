package dev.inflight.bench;

import static dev.inflight.bench.Report.progress;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code python} figure: how fast a slot released in this JVM reaches a Python waiter ({@code
 * clients/python/bench.py waiter}), beside a Java waiter ({@link Worker}'s handoff role) in the
 * same rounds, interleaved; then the Python client's own figures ({@code bench.py cycle,idle}),
 * relayed as they are. Both waiters report the grant on CLOCK_MONOTONIC (Java's {@code nanoTime},
 * Python's {@code time.monotonic_ns}), so the hand-off is one subtraction. {@code $INFLIGHT_PYTHON}
 * names the interpreter (default {@code python3}); without one the figure is skipped with a
 * progress line.
 */
final class PythonFigures {
  private static final String PROVIDER = "py_handoff";

  private PythonFigures() {}

  static void python(Bench b) throws Exception {
    Path script = Path.of("clients", "python", "bench.py").toAbsolutePath();
    String python = System.getenv().getOrDefault("INFLIGHT_PYTHON", "python3");
    if (!Files.isRegularFile(script)) {
      progress("python: skipped (%s not found; run bin/bench from the repository)", script);
      return;
    }
    progress("python: release here -> grant in a waiting Python process, beside a waiting JVM");
    b.limiter.limits().set(LimitSpec.of(PROVIDER, 1));
    int warm = 20;
    int n = 200;
    double[] py = new double[n];
    double[] java = new double[n];
    ForeignProcess waiter;
    try {
      waiter =
          ForeignProcess.start(
              "the Python waiter",
              python,
              script.toString(),
              "waiter",
              b.home.toString(),
              PROVIDER);
    } catch (IOException e) {
      progress("python: skipped (%s cannot be started: %s)", python, e.getMessage());
      return;
    }
    try (waiter;
        Child jb = Child.start("handoff", b.home.toString(), PROVIDER)) {
      waiter.expect("ready", 60);
      jb.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        boolean pythonFirst = i % 2 == 0;
        double pyRound = pythonFirst ? round(b, waiter::go, waiter::granted) : 0;
        double javaRound = round(b, () -> go(jb), () -> jb.expectLong("granted", 10));
        if (!pythonFirst) {
          pyRound = round(b, waiter::go, waiter::granted);
        }
        if (i >= warm) {
          py[i - warm] = pyRound;
          java[i - warm] = javaRound;
        }
      }
    }
    progress("  python handoff ms: %s", Report.spread(py));
    progress("  java handoff ms: %s", Report.spread(java));
    Report.compared(
        "handoff_java_p50_ms",
        Stats.quantile(java, 0.5),
        "handoff_python_p50_ms",
        Stats.quantile(py, 0.5),
        "ms",
        "handoff_python_p50_ratio");
    Report.compared(
        "handoff_java_p99_ms",
        Stats.quantile(java, 0.99),
        "handoff_python_p99_ms",
        Stats.quantile(py, 0.99),
        "ms",
        "handoff_python_p99_ratio");
    int exit = ForeignProcess.relay(python, script.toString(), "cycle,idle");
    if (exit != 0) {
      progress("python: bench.py exited with %d", exit);
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private interface Grant {
    long nanos() throws Exception;
  }

  private static void go(Child waiter) throws InterruptedException {
    waiter.send("go");
    waiter.expect("queued", 10);
  }

  /** This JVM holds the only slot; the waiter queues on "go"; release; its grant's instant. */
  private static double round(Bench b, Step go, Grant granted) throws Exception {
    Lease a =
        b.limiter
            .tryAcquire(PROVIDER, "py-handoff-a")
            .orElseThrow(() -> new IllegalStateException("A could not take the free slot"));
    go.run();
    Thread.sleep(3 + ThreadLocalRandom.current().nextInt(5)); // the waiter goes idle
    long t0 = System.nanoTime();
    a.release();
    return (granted.nanos() - t0) / 1e6;
  }
}
