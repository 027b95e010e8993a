package dev.inflight.app;

import dev.inflight.client.ConfigRoot;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.LimiterException;
import dev.inflight.client.StatusSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * {@code inflight demo}: sets small limits, starts agent processes ({@link DemoAgent}) that contend
 * for them, and shows it in the window or a live terminal table. Ending it any way (Ctrl-C, the
 * window, {@code --duration}) stops every agent, leaves no lease behind and puts the previous
 * limits back.
 */
final class Demo {
  static final List<LimitSpec> LIMITS =
      List.of(
          LimitSpec.of("openai", 2).withAdaptive(true),
          LimitSpec.of("anthropic", 3).withCooldown(Duration.ofMillis(400)),
          LimitSpec.of("llama-local", 1));
  static final List<String> LABELS =
      List.of("planner", "researcher", "coder", "reviewer", "subagent-1", "subagent-2");

  private final Path home;
  private final boolean gui;
  private final int agents;
  private final Duration duration;
  private final List<Process> children = new ArrayList<>();
  private final Map<String, Optional<LimitSpec>> previous = new LinkedHashMap<>();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private Limiter limiter;

  Demo(Path home, boolean gui, int agents, Duration duration) {
    this.home = ConfigRoot.resolve(home);
    this.gui = gui;
    this.agents = agents;
    this.duration = duration;
  }

  static String label(int i) {
    return i < LABELS.size() ? LABELS.get(i) : "subagent-" + (i - LABELS.size() + 3);
  }

  int run() {
    try {
      limiter = Limiter.builder().home(home).build();
    } catch (LimiterException e) {
      System.err.println("inflight demo: " + e.getMessage());
      return 1;
    }
    for (LimitSpec spec : LIMITS) {
      previous.put(spec.provider(), limiter.limits().get(spec.provider()));
      limiter.limits().set(spec);
      if (spec.paused() != previous.get(spec.provider()).map(LimitSpec::paused).orElse(false)) {
        limiter.limits().resume(spec.provider());
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "inflight-demo-stop"));
    System.err.println(
        "inflight demo: "
            + agents
            + " agents on "
            + limiter.databaseFile()
            + " with limits "
            + LIMITS.stream()
                .map(l -> l.provider() + "=" + l.maxInFlight())
                .collect(Collectors.joining(", "))
            + " (previous limits come back when the demo ends)");
    try {
      startAgents();
    } catch (IOException e) {
      System.err.println("inflight demo: cannot start an agent process: " + e.getMessage());
      stop();
      return 1;
    }
    try {
      boolean shown = false;
      if (gui) {
        try {
          StatusApp.launch(home, duration);
          shown = true;
        } catch (RuntimeException e) {
          System.err.println(
              "inflight demo: cannot open the window ("
                  + StatusApp.whyNoWindow(e)
                  + "); showing the table instead");
        }
      }
      if (!shown) {
        terminal();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stop();
    }
    return 0;
  }

  private void startAgents() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    for (int i = 0; i < agents; i++) {
      ProcessBuilder pb =
          new ProcessBuilder(
              java,
              "-Xmx64m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              cp,
              DemoAgent.class.getName(),
              "--home",
              home.toString(),
              "--label",
              label(i),
              "--seed",
              Long.toString(1000L + i));
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      synchronized (children) {
        children.add(pb.start());
      }
    }
  }

  /** Redraws on every change (debounced) and each second, until the duration or Ctrl-C. */
  private void terminal() throws InterruptedException {
    boolean tty = System.console() != null;
    BlockingQueue<Boolean> changes = new ArrayBlockingQueue<>(1);
    AutoCloseable sub = limiter.onChange(() -> changes.offer(Boolean.TRUE));
    long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    long nextLine = 0;
    DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss");
    try {
      while (!stopped.get() && System.nanoTime() < end) {
        long waitMs = Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000));
        if (changes.poll(waitMs, TimeUnit.MILLISECONDS) != null) {
          Thread.sleep(100); // a burst of commits becomes one redraw
          changes.clear();
        }
        StatusSnapshot s;
        try {
          s = limiter.status();
        } catch (LimiterException e) {
          System.out.println("cannot read the database: " + e.getMessage());
          continue;
        }
        if (tty) {
          String title =
              "inflight demo · "
                  + agents
                  + " agents · "
                  + limiter.databaseFile()
                  + " · Ctrl-C stops";
          System.out.print("\033[H\033[2J" + TerminalTable.render(s, title));
          System.out.flush();
        } else if (System.nanoTime() >= nextLine) {
          System.out.println(LocalTime.now().format(hms) + " " + TerminalTable.line(s));
          nextLine = System.nanoTime() + 2_000_000_000L;
        }
      }
    } finally {
      try {
        sub.close();
      } catch (Exception e) {
        // stopping anyway
      }
    }
  }

  /** Stops the agents (SIGTERM, then kill), checks no lease is left, restores the limits. */
  void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    List<Process> procs;
    synchronized (children) {
      procs = new ArrayList<>(children);
    }
    procs.forEach(Process::destroy);
    for (Process p : procs) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    if (limiter == null) {
      return;
    }
    try {
      Set<Long> pids = procs.stream().map(Process::pid).collect(Collectors.toSet());
      long left = limiter.status().leases().stream().filter(l -> pids.contains(l.pid())).count();
      for (Map.Entry<String, Optional<LimitSpec>> e : previous.entrySet()) {
        if (e.getValue().isPresent()) {
          LimitSpec old = e.getValue().get();
          limiter.limits().set(old);
          if (old.paused()) {
            limiter.limits().pause(old.provider());
          }
        } else {
          limiter.limits().unset(e.getKey());
        }
      }
      System.err.println(
          "inflight demo: stopped "
              + procs.size()
              + " agents; "
              + left
              + " of their leases left; limits restored");
    } catch (RuntimeException e) {
      System.err.println("inflight demo: " + e.getMessage());
    } finally {
      limiter.close();
    }
  }
}
