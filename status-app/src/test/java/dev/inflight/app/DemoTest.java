package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.testing.Child;
import dev.inflight.testing.Jvm;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a newcomer runs it: real agent processes, stopped like Ctrl-C or by itself. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoTest {
  private static final Pattern SOMETHING_HELD = Pattern.compile(".* active [1-9].*");

  @TempDir Path home;

  @Test
  void demo_stoppedLikeCtrlC_stopsEveryAgentAndLeavesNoLease_andRestoresLimits() throws Exception {
    try (Limiter l = Limiter.builder().home(home).build()) {
      l.limits().set(LimitSpec.of("openai", 7));
    }
    Child demo =
        Jvm.start(
            Main.class.getName(), "demo", "--no-gui", "--home", home.toString(), "--agents", "4");

    String line = demo.awaitOut(SOMETHING_HELD.asMatchPredicate());
    // SIGTERM runs the same shutdown hook as Ctrl-C (the handle, unlike Process, keeps our pipe)
    demo.process().toHandle().destroy();
    Child.Result ended = demo.await();
    String rest = ended.out() + "\n" + ended.err();

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
    Child demo =
        Jvm.start(
            Main.class.getName(),
            "demo",
            "--no-gui",
            "--home",
            home.toString(),
            "--agents",
            "2",
            "--duration",
            "3s");

    Child.Result ended = demo.await();
    String out = ended.out() + "\n" + ended.err();

    assertThat(ended.code()).as(ended.describe()).isZero();
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
