package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inflight.testing.Child;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    String what = String.join(" ", cmd.subList(wrapper.size() + 1, cmd.size()));
    return new Running(Child.start(pb, "inflight " + what), what);
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

  /** A started command; its output is collected by the shared {@link Child}. */
  static final class Running {
    private final Child child;
    private final String args;

    Running(Child child, String args) {
      this.child = child;
      this.args = args;
    }

    Process process() {
      return child.process();
    }

    long pid() {
      return child.pid();
    }

    /** Waits until stdout has a line matching {@code p}; fails if the process ends first. */
    String awaitOut(Predicate<String> p) {
      return child.awaitOut(p);
    }

    String awaitErr(Predicate<String> p) {
      return child.awaitErr(p);
    }

    void write(String line) {
      child.write(line);
    }

    void closeStdin() {
      child.closeStdin();
    }

    Result await() {
      Child.Result r = child.await();
      return new Result(args, r.code(), r.out(), r.err());
    }

    String describe() {
      return child.describe();
    }
  }
}
