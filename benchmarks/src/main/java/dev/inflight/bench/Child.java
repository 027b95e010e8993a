package dev.inflight.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A worker JVM ({@link Worker}): lines to its stdin, lines from its stdout (read on a thread, with
 * timeouts); its stderr goes to the harness's. Every worker, the bare baseline JVM included, starts
 * with the same command line: this JVM's own flags and classpath, then the role.
 */
final class Child implements AutoCloseable {
  private static final String EOF = "\u0000eof";

  /** The harness's own JVM flags, passed to every worker so that all JVMs compare alike. */
  static final List<String> JVM_FLAGS =
      List.copyOf(ManagementFactory.getRuntimeMXBean().getInputArguments());

  final Process process;
  private final PrintWriter in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final String role;

  private Child(String role, Process process) {
    this.role = role;
    this.process = process;
    this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the worker is gone
              } finally {
                lines.add(EOF);
              }
            },
            "bench-" + role + "-stdout");
    t.setDaemon(true);
    t.start();
  }

  static Child start(String role, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JVM_FLAGS);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Worker.class.getName());
    cmd.add(role);
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new Child(role, pb.start());
  }

  /** {@code n} workers of one role with the same arguments, started one after the other. */
  static List<Child> startAll(int n, String role, String... args) throws IOException {
    List<Child> all = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        all.add(start(role, args));
      }
    } catch (IOException | RuntimeException e) {
      closeAll(all);
      throw e;
    }
    return all;
  }

  /** Closes every worker; never throws (a worker that will not quit is killed). */
  static void closeAll(List<Child> children) {
    for (Child c : children) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        c.kill9();
      }
    }
  }

  long pid() {
    return process.pid();
  }

  void send(String line) {
    in.println(line);
  }

  /** The next line, which must start with {@code word}. */
  String expect(String word, long timeoutSeconds) throws InterruptedException {
    String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
    if (line == null || line.equals(EOF) || !line.startsWith(word)) {
      throw new IllegalStateException(
          "worker '"
              + role
              + "' (pid "
              + process.pid()
              + ") sent "
              + (line == null
                  ? "nothing within " + timeoutSeconds + "s"
                  : line.equals(EOF) ? "no more output" : "'" + line + "'")
              + " where '"
              + word
              + "' was expected");
    }
    return line;
  }

  /** The number after {@code word} on the next line, which must be {@code word <number>}. */
  long expectLong(String word, long timeoutSeconds) throws InterruptedException {
    return Long.parseLong(expect(word + " ", timeoutSeconds).substring(word.length() + 1).trim());
  }

  /** SIGKILL: the JVM gets no chance to release or deregister. */
  void kill9() {
    process.destroyForcibly();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      in.println("quit");
      in.close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
