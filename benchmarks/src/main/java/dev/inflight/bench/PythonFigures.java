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
    Process p;
    try {
      p = start(python, script.toString(), "waiter", b.home.toString(), PROVIDER);
    } catch (IOException e) {
      progress("python: skipped (%s cannot be started: %s)", python, e.getMessage());
      return;
    }
    Lines pyOut = new Lines(p);
    try (Child jb = Child.start("handoff", b.home.toString(), PROVIDER)) {
      pyOut.expect("ready", 60);
      jb.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        boolean pythonFirst = i % 2 == 0;
        double pyRound = pythonFirst ? round(b, pyOut::go, pyOut::granted) : 0;
        double javaRound = round(b, () -> go(jb), () -> jb.expectLong("granted", 10));
        if (!pythonFirst) {
          pyRound = round(b, pyOut::go, pyOut::granted);
        }
        if (i >= warm) {
          py[i - warm] = pyRound;
          java[i - warm] = javaRound;
        }
      }
    } finally {
      pyOut.send("quit");
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
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
    relay(python, script.toString(), "cycle,idle");
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

  private static Process start(String... cmd) throws IOException {
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** bench.py's own figures, line by line, as they come. */
  private static void relay(String... cmd) throws IOException, InterruptedException {
    Process p = start(cmd);
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println(line);
        System.out.flush();
      }
    }
    if (p.waitFor() != 0) {
      progress("python: bench.py exited with %d", p.exitValue());
    }
  }

  /** The Python waiter's stdin and stdout, read on a thread with timeouts (as {@link Child}). */
  private static final class Lines {
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Lines(Process p) {
      in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
      Thread t =
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
              "bench-python-stdout");
      t.setDaemon(true);
      t.start();
    }

    void send(String line) {
      in.println(line);
    }

    String expect(String word, long timeoutSeconds) throws InterruptedException {
      String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
      if (line == null || !line.startsWith(word)) {
        throw new IllegalStateException(
            "the Python waiter sent "
                + (line == null ? "nothing" : "'" + line + "'")
                + " where '"
                + word
                + "' was expected");
      }
      return line;
    }

    void go() throws InterruptedException {
      send("go");
      expect("queued", 10);
    }

    long granted() throws InterruptedException {
      return Long.parseLong(expect("granted ", 10).substring("granted ".length()).trim());
    }
  }
}
