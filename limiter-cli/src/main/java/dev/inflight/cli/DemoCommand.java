package dev.inflight.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inflight demo}: simulated agents under small limits (run by the status app). */
@Command(
    name = "demo",
    header = "Simulated agents under small limits, on a private config root.",
    description = {
      "Simulated agents contend for openai (limit 2, adaptive), anthropic (3, cooldown 400ms) and"
          + " llama-local (1); the window shows it, or a live table with --no-gui or without a"
          + " display. Ctrl-C stops every agent; their leases go with them.",
      "Without --home it runs on a private config root of its own ($XDG_RUNTIME_DIR/inflight-demo,"
          + " else ~/.cache/inflight-demo, mode 0700), so your own limits are never touched. With"
          + " --home DIR it sets its limits in DIR and puts the previous ones back when it ends."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  inflight demo", "  inflight demo --no-gui --agents 4 --duration 90s"})
final class DemoCommand implements Callable<Integer> {
  static final int MAX_AGENTS = 24;

  @Spec CommandSpec spec;

  @Option(names = "--no-gui", description = "Show a live table in the terminal, not the window.")
  boolean noGui;

  @Option(
      names = "--agents",
      paramLabel = "N",
      description = "Number of agent processes, from 1 to " + MAX_AGENTS + ". Default: 7.")
  String agents = "7";

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description = "Stop by itself after this long (e.g. 90s, 5m). Default: until Ctrl-C.")
  Duration duration;

  @Override
  public Integer call() {
    int n = agents(agents);
    Duration d = AppCommand.positive("--duration", duration);
    Inflight top = Inflight.of(spec);
    Path explicit = top.home == null ? null : top.root(); // $INFLIGHT_HOME does not count here
    return AppCommand.launcher(top, "demo").demo(explicit, !noGui, n, d);
  }

  static int agents(String text) {
    String t = text.strip();
    if (t.matches("[0-9]{1,3}")) {
      int n = Integer.parseInt(t);
      if (n >= 1 && n <= MAX_AGENTS) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        "--agents must be an integer from 1 to " + MAX_AGENTS + " (was \"" + text + "\")");
  }
}
