package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Child;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inflight status --watch} on a real pseudo-terminal (script(1)), as a person sees it: every
 * wait here returns as soon as the awaited line is drawn.
 */
class WatchIT {
  @TempDir Path home;
  Cli cli;
  Cli.Running holder;
  Child watch;

  @BeforeEach
  void openaiIsAtItsLimit() {
    cli = new Cli(home);
    assertThat(cli.run("limits", "set", "openai", "1").code()).isZero();
    assertThat(cli.run("limits", "set", "anthropic", "3").code()).isZero();
    holder = cli.start("run", "-p", "openai", "-l", "holder", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);
  }

  @AfterEach
  void stop() {
    if (watch != null) {
      watch.process().toHandle().descendants().forEach(ProcessHandle::destroy);
      watch.process().destroy();
    }
    holder.closeStdin();
    holder.await();
  }

  private Child startWatch(Map<String, String> env) {
    ProcessBuilder pb =
        new ProcessBuilder(
            "script",
            "-qfec",
            "'" + Cli.LAUNCHER + "' --home '" + home + "' status --watch",
            "/dev/null");
    pb.environment().put("INFLIGHT_NO_BUILD", "1");
    pb.environment().put("COLUMNS", "100");
    pb.environment().remove("NO_COLOR");
    pb.environment().putAll(env);
    return Child.start(pb, "script status --watch");
  }

  @Test
  void watch_onATerminal_showsTheSaturatedProviderInYellow_andRedrawsAWaiterInRed() {
    watch = startWatch(Map.of());
    watch.awaitOut(l -> l.contains(StatusWatch.YELLOW + "openai "));

    Cli.Running waiter = cli.start("run", "-p", "openai", "-l", "waiter", "-q", "--", "true");
    String red = watch.awaitOut(l -> l.contains(StatusWatch.RED + "openai "));

    assertThat(red).contains("1").contains("no");
    holder.closeStdin(); // the waiter gets the lease, runs true and ends
    assertThat(waiter.await().code()).isZero();
  }

  @Test
  void watch_withNoColor_drawsTheSameTableWithoutColour() {
    watch = startWatch(Map.of("NO_COLOR", "1"));

    String row = watch.awaitOut(l -> l.contains("openai ") && l.contains("  no"));

    assertThat(row).doesNotContain("\033[3");
    assertThat(watch.stdout()).contains("inflight status --watch").doesNotContain("\033[33m");
  }

  @Test
  void watch_piped_printsOneLinePerChange() {
    Cli.Running piped = cli.start("status", "--watch");
    piped.awaitOut(l -> l.endsWith("openai limit 1, active 1, cooling 0, queued 0, paused no"));

    assertThat(cli.run("limits", "set", "openai", "2").code()).isZero();
    String changed =
        piped.awaitOut(l -> l.endsWith("openai limit 2, active 1, cooling 0, queued 0, paused no"));

    assertThat(changed).matches("[0-9]{2}:[0-9]{2}:[0-9]{2} anthropic limit 3, .*");
    piped.process().destroy();
    piped.await();
  }

  @Test
  void watchAndJson_areRefusedTogether() {
    Cli.Result r = cli.run("status", "--watch", "--json");

    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).isEqualTo("inflight: --watch and --json cannot be combined (was both)");
    assertThat(List.of(r.out())).containsExactly("");
  }
}
