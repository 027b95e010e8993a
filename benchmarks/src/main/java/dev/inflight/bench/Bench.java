package dev.inflight.bench;

import static dev.inflight.bench.Report.progress;

import dev.inflight.client.Limiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The benchmark harness behind {@code bin/bench}: measures every figure in one run and prints one
 * {@code name value unit} line per figure on stdout (progress goes to stderr). Each figure is
 * printed beside a floor measured by the same harness in the same run, and the ratio.
 *
 * <p>Usage: {@code Bench WORK_DIR [figure,...]}. WORK_DIR must be an empty scratch directory; the
 * config root is {@code WORK_DIR/home}, never the user's own, and the floor's database (the same
 * migration in a file of its own) is {@code WORK_DIR/floor/limiter.db}. Multi-process figures start
 * real worker JVMs ({@link Worker}) with this JVM's flags and classpath.
 *
 * <p>This class owns the run: which figures, in which order, and what they share (the scratch
 * directory, this JVM's limiter, the floor's database). Each figure group is a class of its own:
 * {@link Cycle} (cycle, queue), {@link Handoff} (handoff, hand_edit), {@link Contention}
 * (contended), {@link Idle} (idle), {@link Open} (open), {@link Reclaim} (reclaim), {@link
 * ModelFigures} (pool, models, budget).
 */
public final class Bench {
  /** Every figure group, in the order they run. */
  static final List<String> FIGURES =
      List.of(
          "cycle",
          "pool",
          "handoff",
          "hand_edit",
          "contended",
          "models",
          "idle",
          "queue",
          "open",
          "reclaim",
          "budget",
          "python",
          "node",
          "postgres");

  private static final Logger QUIET = quietLibraryLogging();

  final Path work;
  final Path home;
  final Limiter limiter;
  private Path floorDatabase;

  private Bench(Path work, Limiter limiter) {
    this.work = work;
    this.home = work.resolve("home");
    this.limiter = limiter;
  }

  /** The library logs queueing at INFO through java.util.logging; the benchmark wants quiet. */
  static Logger quietLibraryLogging() {
    Logger l = Logger.getLogger("dev.inflight");
    l.setLevel(Level.WARNING);
    return l;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: Bench WORK_DIR [figure,...]   figures: " + FIGURES);
      System.exit(2);
    }
    if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
      // Hand-offs, hand edits and reclaim subtract System.nanoTime() readings of different
      // processes: on Linux that is CLOCK_MONOTONIC, shared by every process; elsewhere it need
      // not be.
      System.err.println("bench: Linux only (cross-process System.nanoTime is CLOCK_MONOTONIC)");
      System.exit(2);
    }
    Set<String> only = new LinkedHashSet<>(FIGURES);
    if (args.length > 1) {
      only = new LinkedHashSet<>(Arrays.asList(args[1].split(",")));
      for (String f : only) {
        if (!FIGURES.contains(f)) {
          System.err.println(
              "bench: no figure '" + f + "' (figures: " + String.join(",", FIGURES) + ")");
          System.exit(2);
        }
      }
    }
    Path work = Path.of(args[0]).toAbsolutePath();
    Path home = work.resolve("home");
    Files.createDirectories(home);
    progress(
        "config root %s; %d cores; load average %s; worker JVM flags %s",
        home, Runtime.getRuntime().availableProcessors(), Report.loadAverage(), Child.JVM_FLAGS);
    try (Limiter l = Limiter.builder().home(home).build()) {
      new Bench(work, l).run(only);
    }
    progress("done in %.0f s; load average %s", Report.elapsedSeconds(), Report.loadAverage());
    if (QUIET.getLevel() != Level.WARNING) {
      throw new AssertionError("logging level changed");
    }
  }

  private void run(Set<String> only) throws Exception {
    for (String figure : FIGURES) {
      if (!only.contains(figure)) {
        continue;
      }
      switch (figure) {
        case "cycle" -> Cycle.cycle(this);
        case "handoff" -> Handoff.handoff(this);
        case "hand_edit" -> Handoff.handEdit(this);
        case "contended" -> {
          Contention.contended(this, "contended", "violations", 4, 2, 4, 10);
          Contention.contended(this, "contended_16x4", "contended_16x4_violations", 16, 4, 3, 8);
        }
        case "idle" -> Idle.idle(this);
        case "queue" -> Cycle.queueScaling(this);
        case "open" -> Open.openCurrent(this);
        case "reclaim" -> Reclaim.reclaim(this);
        case "pool" -> ModelFigures.poolCycle(this);
        case "models" -> ModelFigures.twoModels(this);
        case "budget" -> ModelFigures.budget(this);
        case "python" -> PythonFigures.python(this);
        case "node" -> NodeFigures.node(this);
        case "postgres" -> PgFigures.postgres(this);
        default -> throw new AssertionError(figure);
      }
    }
  }

  /**
   * The floor's database: created on first use by the same migration as the limiter's (a limiter
   * opened on a root of its own and closed at once), then spoken to only by {@link Floor}.
   */
  Path floorDatabase() {
    if (floorDatabase == null) {
      Path floorHome = work.resolve("floor");
      Limiter.builder().home(floorHome).build().close();
      floorDatabase = floorHome.resolve("limiter.db");
    }
    return floorDatabase;
  }
}
