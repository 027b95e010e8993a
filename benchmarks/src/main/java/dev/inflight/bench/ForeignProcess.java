package dev.inflight.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bench process of another language (clients/python/bench.py, clients/node/bench/bench.mjs),
 * spoken to line by line as {@link Child} speaks to worker JVMs: its stdout is read on a thread of
 * its own and awaited with timeouts; stderr goes to the harness's. As a waiter it answers {@code
 * ready}, then {@code queued} for each {@code go}, then {@code granted NANOS}, and ends on {@code
 * quit}.
 */
final class ForeignProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final PrintWriter in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private ForeignProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r = reader(process)) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process is gone
              }
            },
            "bench-" + name + "-stdout");
    t.setDaemon(true);
    t.start();
  }

  /** Starts {@code cmd}; {@code name} says whose lines they are in errors ("the Node waiter"). */
  static ForeignProcess start(String name, String... cmd) throws IOException {
    return new ForeignProcess(name, launch(cmd));
  }

  void send(String line) {
    in.println(line);
  }

  /** The next line, which must start with {@code word}. */
  String expect(String word, long timeoutSeconds) throws InterruptedException {
    String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
    if (line == null || !line.startsWith(word)) {
      throw new IllegalStateException(
          name
              + " sent "
              + (line == null ? "nothing" : "'" + line + "'")
              + " where '"
              + word
              + "' was expected");
    }
    return line;
  }

  /** Asks the waiter to queue, and waits until it says it has. */
  void go() throws InterruptedException {
    send("go");
    expect("queued", 10);
  }

  /** The CLOCK_MONOTONIC instant (ns) at which the waiter held its grant. */
  long granted() throws InterruptedException {
    return Long.parseLong(expect("granted ", 10).substring("granted ".length()).trim());
  }

  /** Says {@code quit} and waits a little for the process to end, then ends it. */
  @Override
  public void close() throws InterruptedException {
    send("quit");
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  /**
   * Runs {@code cmd} to its end, printing its stdout as it comes (its own figures, already {@code
   * name value unit}); returns its exit code.
   */
  static int relay(String... cmd) throws IOException, InterruptedException {
    Process p = launch(cmd);
    try (BufferedReader r = reader(p)) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println(line);
        System.out.flush();
      }
    }
    return p.waitFor();
  }

  private static Process launch(String... cmd) throws IOException {
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static BufferedReader reader(Process p) {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
  }
}
