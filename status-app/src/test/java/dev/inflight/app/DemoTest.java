package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.StatusSnapshot;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a newcomer runs it: real agent processes, stopped like Ctrl-C or by itself. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoTest {
  private static final Pattern SOMETHING_HELD = Pattern.compile(".* [1-9]/[0-9]+ .*");

  @TempDir Path home;

  @Test
  void demo_stoppedLikeCtrlC_stopsEveryAgentAndLeavesNoLease_andRestoresLimits() throws Exception {
    try (Limiter l = Limiter.builder().home(home).build()) {
      l.limits().set(LimitSpec.of("openai", 7));
    }
    Processes.Child demo =
        Processes.java(
            Main.class.getName(), "demo", "--no-gui", "--home", home.toString(), "--agents", "4");

    String line = demo.awaitLine(SOMETHING_HELD.asMatchPredicate(), "a held lease");
    // SIGTERM runs the same shutdown hook as Ctrl-C (the handle, unlike Process, keeps our pipe)
    demo.process.toHandle().destroy();
    String rest = demo.awaitExit();

    assertThat(line).contains("anthropic").contains("openai").contains("llama-local");
    assertThat(rest).contains("stopped 4 agents; 0 of their leases left; limits restored");
    assertThat(ProcessHandle.allProcesses().filter(p -> runsOn(p, home)).count()).isZero();
    try (Limiter l = Limiter.builder().home(home).build()) {
      StatusSnapshot s = l.status();
      assertThat(s.leases()).isEmpty();
      assertThat(s.waiters()).isEmpty();
      assertThat(l.limits().list()).containsExactly(LimitSpec.of("openai", 7));
    }
  }

  @Test
  void demo_withDuration_endsByItselfWithNoLeaseLeft() throws Exception {
    Processes.Child demo =
        Processes.java(
            Main.class.getName(),
            "demo",
            "--no-gui",
            "--home",
            home.toString(),
            "--agents",
            "2",
            "--duration",
            "3s");

    String out = demo.awaitExit();

    assertThat(demo.process.exitValue()).isZero();
    assertThat(out).contains("2 agents on " + home.resolve("limiter.db"));
    assertThat(out).contains("stopped 2 agents; 0 of their leases left");
    try (Limiter l = Limiter.builder().home(home).build()) {
      assertThat(l.status().leases()).isEmpty();
      assertThat(l.limits().list()).isEmpty();
    }
  }

  private static boolean runsOn(ProcessHandle p, Path home) {
    return p.info()
            .arguments()
            .map(a -> String.join(" ", a).contains(home.toString()))
            .orElse(false)
        && p.pid() != ProcessHandle.current().pid();
  }
}
