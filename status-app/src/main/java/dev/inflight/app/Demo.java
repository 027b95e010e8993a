package dev.inflight.app;

import dev.inflight.cli.Terminal;
import dev.inflight.client.ConfigRoot;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.LimiterException;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.Priority;
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
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * {@code inflight demo}: sets small limits, starts agent processes ({@link DemoAgent}) that contend
 * for them, and shows it in the window or a live terminal table. Without {@code --home} it runs on
 * a private config root of its own ({@link DemoRoot}), so it never touches the user's limits. With
 * {@code --home} it sets its limits there and, when it ends in any way but {@code kill -9} (Ctrl-C,
 * the window, {@code --duration}), puts the previous ones back. Either way it stops every agent and
 * leaves no lease behind.
 */
final class Demo {
  /**
   * The demo's limits: {@code openai} 2 and adaptive, {@code anthropic} 3 with a cooldown and a
   * budget of 12 requests a minute (the agents ask for about four times that, so it binds within
   * the first minute and the gauge shows when the window frees), {@code llama-local} 1.
   */
  static final List<LimitSpec> LIMITS =
      List.of(
          LimitSpec.of("openai", 2).withAdaptive(true),
          LimitSpec.of("anthropic", 3).withCooldown(Duration.ofMillis(400)).withBudgets(12, 0, 0),
          LimitSpec.of("llama-local", 1));

  /**
   * Each hosted provider has a big model with a pool of its own below the provider's ({@code
   * anthropic/claude-sonnet} 2 of anthropic's 3, {@code openai/gpt-4o} 1 of openai's 2) and a small
   * one with no limit of its own, which counts against its provider's alone.
   */
  static final List<ModelLimitSpec> MODEL_LIMITS =
      List.of(
          ModelLimitSpec.of("anthropic", "claude-sonnet", 2),
          ModelLimitSpec.of("openai", "gpt-4o", 1));

  /** Sub-agents and the researcher run as batch, the rest as interactive agents. */
  static Priority priority(String label) {
    return label.startsWith("subagent") || label.equals("researcher")
        ? Priority.BATCH
        : Priority.INTERACTIVE;
  }

  static final List<String> LABELS =
      List.of("planner", "researcher", "coder", "reviewer", "subagent-1", "subagent-2");

  private final Path home;
  private final boolean privateRoot;
  private final boolean gui;
  private final int agents;
  private final Duration duration;
  private final BiConsumer<Path, Duration> window;
  private final DemoScreen screen =
      new DemoScreen(System.out, System.err, Terminal.isTerminal(), Terminal::columns);
  private final List<Process> children = new ArrayList<>();
  private final Map<String, Optional<LimitSpec>> previous = new LinkedHashMap<>();
  private final Map<String, Optional<ModelLimitSpec>> previousModels = new LinkedHashMap<>();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private Limiter limiter;

  /**
   * @param explicitHome the {@code --home} given, or null for the demo's private root
   */
  Demo(Path explicitHome, boolean gui, int agents, Duration duration) {
    this(explicitHome, gui, agents, duration, System.getenv(), StatusApp::launchLocal);
  }

  /**
   * @param env the environment that locates the private root
   * @param window opens the status window on a config root and returns when it closes
   */
  Demo(
      Path explicitHome,
      boolean gui,
      int agents,
      Duration duration,
      Map<String, String> env,
      BiConsumer<Path, Duration> window) {
    this.privateRoot = explicitHome == null;
    this.home =
        privateRoot
            ? DemoRoot.locate(env, System.getProperty("user.home"))
            : ConfigRoot.resolve(explicitHome);
    this.window = window;
    this.gui = gui;
    this.agents = agents;
    this.duration = duration;
  }

  static String label(int i) {
    return i < LABELS.size() ? LABELS.get(i) : "subagent-" + (i - LABELS.size() + 3);
  }

  int run() {
    System.err.println(whereLine());
    System.err.println(
        "inflight demo: watch it with 'inflight status --home "
            + Shell.quote(home.toString())
            + "' or 'inflight app --home "
            + Shell.quote(home.toString())
            + "'");
    try {
      if (privateRoot) {
        DemoRoot.prepare(home);
      }
      limiter = Limiter.builder().home(home).localDatabase().build();
    } catch (IOException | LimiterException e) {
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
    for (ModelLimitSpec spec : MODEL_LIMITS) {
      previousModels.put(
          spec.key(),
          limiter.limits().models().stream().filter(m -> m.key().equals(spec.key())).findFirst());
      limiter.limits().setModel(spec);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "inflight-demo-stop"));
    System.err.println(
        "inflight demo: "
            + agents
            + " agents on "
            + limiter.databaseFile()
            + " with limits "
            + LIMITS.stream()
                .map(
                    l ->
                        l.provider()
                            + "="
                            + l.maxInFlight()
                            + (l.requestsPerMinute() > 0
                                ? " (" + l.requestsPerMinute() + " rpm)"
                                : ""))
                .collect(Collectors.joining(", "))
            + ", "
            + MODEL_LIMITS.stream()
                .map(m -> m.key() + "=" + m.maxInFlight())
                .collect(Collectors.joining(", "))
            + (privateRoot ? "" : " (previous limits come back when the demo ends)"));
    System.err.println(
        "inflight demo: starting "
            + agents
            + " agents (a JVM each; the first requests come within a few seconds)...");
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
          window.accept(home, duration);
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
              "--priority",
              priority(label(i)).toString(),
              "--seed",
              Long.toString(1000L + i));
      pb.environment().remove("INFLIGHT_DATABASE_URL"); // the demo's root, never a shared one
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      synchronized (children) {
        children.add(pb.start());
      }
    }
  }

  /** Redraws on every change (debounced) and each second, until the duration or Ctrl-C. */
  private void terminal() throws InterruptedException {
    BlockingQueue<Boolean> changes = new ArrayBlockingQueue<>(1);
    AutoCloseable sub = limiter.onChange(() -> changes.offer(Boolean.TRUE));
    long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    long nextLine = 0;
    DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss");
    DemoStart start;
    synchronized (children) {
      start = new DemoStart(children.stream().map(Process::pid).collect(Collectors.toSet()));
    }
    long started = System.nanoTime();
    String title =
        "inflight demo · "
            + agents
            + " agents · "
            + limiter.databaseFile()
            + (privateRoot ? " (private)" : "")
            + " · Ctrl-C stops\n"
            + "watch it with: inflight status --home "
            + Shell.quote(home.toString());
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
          if (!stopped.get()) {
            screen.line("cannot read the database: " + e.getMessage());
          }
          continue;
        }
        if (!start.done() && start.update(s) && !screen.terminal()) {
          System.err.printf(
              java.util.Locale.ROOT,
              "inflight demo: all %d agents are running (%.1f s after they were started)%n",
              agents,
              (System.nanoTime() - started) / 1e9);
        }
        if (screen.terminal()) {
          screen.draw(TerminalTable.render(s, title, start.note()));
        } else if (System.nanoTime() >= nextLine) {
          screen.line(LocalTime.now().format(hms) + " " + TerminalTable.line(s));
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

  /** The demo's first line: which config root it uses and what that means for the user's limits. */
  String whereLine() {
    if (privateRoot) {
      return "inflight demo: on a private config root, "
          + home
          + ", so your own limits are not touched (--home DIR runs it on another root)";
    }
    return "inflight demo: on the config root "
        + home
        + " (--home): it sets its limits there and puts the previous ones back when it ends";
  }

  /**
   * Stops the agents (SIGTERM, then kill), checks no lease is left and, on a root given by {@code
   * --home}, restores the limits.
   */
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
      if (!privateRoot) {
        restoreLimits();
      }
      screen.finish(
          "inflight demo: stopped "
              + procs.size()
              + " agents; "
              + left
              + " of their leases left; "
              + (privateRoot
                  ? "your own limits were not touched (the demo's root: " + home + ")"
                  : "limits restored"));
    } catch (RuntimeException e) {
      screen.finish("inflight demo: " + e.getMessage());
    } finally {
      limiter.close();
    }
  }

  private void restoreLimits() {
    for (Map.Entry<String, Optional<ModelLimitSpec>> e : previousModels.entrySet()) {
      if (e.getValue().isPresent()) {
        limiter.limits().setModel(e.getValue().get());
      } else {
        String key = e.getKey();
        int slash = key.indexOf('/');
        limiter.limits().unsetModel(key.substring(0, slash), key.substring(slash + 1));
      }
    }
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
  }
}
