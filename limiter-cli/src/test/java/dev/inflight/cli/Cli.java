package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the real {@code bin/inflight} as a subprocess on one temporary config root. The waits here
 * only guard against hangs: each returns as soon as the awaited exit or line happens.
 */
final class Cli {
  /** Upper bound for anything to happen; never reached when things work. */
  static final Duration HANG_GUARD = Duration.ofSeconds(90);

  static final Path LAUNCHER =
      Path.of(System.getProperty("inflight.launcher", "../bin/inflight"))
          .toAbsolutePath()
          .normalize();

  /** A child that says "holding" and keeps its lease until its stdin is closed. */
  static final String HOLD = "echo holding; read x || true";

  private static final ObjectMapper JSON = new ObjectMapper();

  final Path home;

  Cli(Path home) {
    this.home = home;
  }

  /** Runs {@code inflight --home HOME args...} to completion. */
  Result run(String... args) {
    return start(args).await();
  }

  /** Runs {@code inflight args...} (no --home added) with extra environment, to completion. */
  static Result runRaw(Map<String, String> env, String... args) {
    return startRaw(env, args).await();
  }

  /**
   * Starts {@code inflight --home HOME args...}; stdin stays open until {@link Running#closeStdin}.
   */
  Running start(String... args) {
    List<String> all = new ArrayList<>();
    all.add("--home");
    all.add(home.toString());
    all.addAll(List.of(args));
    return startRaw(Map.of(), all.toArray(String[]::new));
  }

  /**
   * Starts {@code inflight --home HOME args...} under a wrapper command ({@code faketime -f +2m}),
   * with extra environment.
   */
  Running startUnder(List<String> wrapper, Map<String, String> env, String... args) {
    List<String> all = new ArrayList<>(List.of("--home", home.toString()));
    all.addAll(List.of(args));
    return start(wrapper, env, all);
  }

  /** Runs {@code sh -c script launcher} ({@code $0} is the launcher), to completion. */
  static Result shell(String script) {
    return start(List.of("sh", "-c", script), Map.of(), List.of()).await();
  }

  static Running startRaw(Map<String, String> env, String... args) {
    return start(List.of(), env, List.of(args));
  }

  private static Running start(List<String> wrapper, Map<String, String> env, List<String> args) {
    List<String> cmd = new ArrayList<>(wrapper);
    cmd.add(LAUNCHER.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("INFLIGHT_HOME"); // each test names its own --home
    // The tests run after `package`: never let the launcher start a nested Maven build.
    pb.environment().put("INFLIGHT_NO_BUILD", "1");
    pb.environment().putAll(env);
    try {
      return new Running(pb.start(), String.join(" ", cmd.subList(wrapper.size() + 1, cmd.size())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code status --json} parsed. */
  JsonNode statusJson() {
    Result r = run("status", "--json");
    assertThat(r.code()).as(r.describe()).isZero();
    return r.json();
  }

  /**
   * Polls {@code status --json} until {@code condition} holds (for states nothing prints, such as a
   * quiet waiter having queued); fails after {@link #HANG_GUARD}.
   */
  JsonNode awaitStatus(Predicate<JsonNode> condition) {
    long deadline = System.nanoTime() + HANG_GUARD.toNanos();
    JsonNode s;
    do {
      s = statusJson();
      if (condition.test(s)) {
        return s;
      }
    } while (System.nanoTime() < deadline);
    throw new AssertionError("status never matched; last: " + s);
  }

  /** A finished command. */
  record Result(String args, int code, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
      }
    }

    String describe() {
      return "inflight " + args + " -> exit " + code + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  /** A started command whose output lines are collected as they come. */
  static final class Running {
    final Process process;
    private final String args;
    private final Lines out;
    private final Lines err;

    Running(Process process, String args) {
      this.process = process;
      this.args = args;
      this.out = new Lines(process.getInputStream());
      this.err = new Lines(process.getErrorStream());
    }

    long pid() {
      return process.pid();
    }

    /** Waits until stdout has a line matching {@code p}; fails if the process ends first. */
    String awaitOut(Predicate<String> p) {
      return out.await(p, this);
    }

    String awaitErr(Predicate<String> p) {
      return err.await(p, this);
    }

    void write(String line) {
      try {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void closeStdin() {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    Result await() {
      try {
        if (!process.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          fail(
              "inflight "
                  + args
                  + " did not end\nstdout: "
                  + out.text()
                  + "\nstderr: "
                  + err.text());
        }
        out.join();
        err.join();
        return new Result(args, process.exitValue(), out.text(), err.text());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    String describe() {
      return "inflight " + args + "\nstdout: " + out.text() + "\nstderr: " + err.text();
    }
  }

  /** Collects a stream's lines on a thread of its own. */
  private static final class Lines {
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;
    private boolean ended;

    Lines(InputStream in) {
      reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    add(line);
                  }
                } catch (IOException e) {
                  // the process ended
                } finally {
                  end();
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    private synchronized void add(String line) {
      lines.add(line);
      notifyAll();
    }

    private synchronized void end() {
      ended = true;
      notifyAll();
    }

    synchronized String await(Predicate<String> p, Running owner) {
      long deadline = System.nanoTime() + HANG_GUARD.toNanos();
      while (true) {
        for (String l : lines) {
          if (p.test(l)) {
            return l;
          }
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          throw new AssertionError(
              (ended ? "output ended" : "timed out")
                  + " before the expected line; "
                  + owner.describe());
        }
        try {
          wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    synchronized String text() {
      return String.join("\n", lines);
    }

    void join() throws InterruptedException {
      reader.join(HANG_GUARD.toMillis());
    }
  }
}
